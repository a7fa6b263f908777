/// The hot loops that turn whole sample frames of WAV data into Float samples.
enum WAVSampleConverter {
    /// Converts whole sample frames to Floats in -1...1.
    ///
    /// - Parameters:
    ///   - source: The first byte of the first frame; `frames × format.blockAlign` bytes must be readable.
    ///   - frames: The number of whole frames to convert.
    ///   - format: The format of the frames.
    ///   - layout: Whether to keep every channel or average them.
    ///   - destination: Room for `frames` (mono) or `frames × channels` (interleaved) Floats.
    static func convert(
        _ source: UnsafeRawPointer,
        frames: Int,
        format: WAVFormat,
        layout: WAVChannelLayout,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let channels = format.channels
        let mono = layout == .downmixToMono
        switch format.encoding {
        case .unsignedPCM8:
            self.run(UnsignedPCM8Reader(), source, frames, channels, mono, destination)
        case .signedPCM16:
            self.run(SignedPCM16Reader(), source, frames, channels, mono, destination)
        case .signedPCM24:
            self.run(SignedPCM24Reader(), source, frames, channels, mono, destination)
        case .signedPCM32:
            self.run(SignedPCM32Reader(), source, frames, channels, mono, destination)
        case .float32:
            self.run(Float32Reader(), source, frames, channels, mono, destination)
        case .float64:
            self.run(Float64Reader(), source, frames, channels, mono, destination)
        case .muLaw:
            G711.muLawTable.withUnsafeBufferPointer { table in
                self.run(TableReader(table: table.baseAddress!), source, frames, channels, mono, destination)
            }
        case .aLaw:
            G711.aLawTable.withUnsafeBufferPointer { table in
                self.run(TableReader(table: table.baseAddress!), source, frames, channels, mono, destination)
            }
        }
    }

    @inline(__always)
    private static func run<Reader: WAVSampleReader>(
        _ reader: Reader,
        _ source: UnsafeRawPointer,
        _ frames: Int,
        _ channels: Int,
        _ mono: Bool,
        _ destination: UnsafeMutablePointer<Float>
    ) {
        let size = Reader.size
        if !mono || channels == 1 {
            var offset = 0
            for index in 0..<(frames * channels) {
                destination[index] = reader.read(source, offset)
                offset &+= size
            }
            return
        }
        if channels == 2 {
            // The common stereo case, without the inner loop, so the compiler can vectorise it.
            for frame in 0..<frames {
                let offset = frame &* (2 &* size)
                destination[frame] = (reader.read(source, offset) + reader.read(source, offset &+ size)) * 0.5
            }
            return
        }
        let scale = 1 / Float(channels)
        var offset = 0
        for frame in 0..<frames {
            var sum: Float = 0
            for _ in 0..<channels {
                sum += reader.read(source, offset)
                offset &+= size
            }
            destination[frame] = sum * scale
        }
    }
}

/// Reads one sample of a given encoding as a Float in -1...1.
private protocol WAVSampleReader {
    static var size: Int { get }
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float
}

private struct UnsignedPCM8Reader: WAVSampleReader {
    static var size: Int { 1 }

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Int(base.load(fromByteOffset: offset, as: UInt8.self)) - 128) * (1 / 128)
    }
}

private struct SignedPCM16Reader: WAVSampleReader {
    static var size: Int { 2 }

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Int16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: Int16.self))) * (1 / 32768)
    }
}

private struct SignedPCM24Reader: WAVSampleReader {
    static var size: Int { 3 }

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        let low = UInt32(base.load(fromByteOffset: offset, as: UInt8.self))
        let middle = UInt32(base.load(fromByteOffset: offset &+ 1, as: UInt8.self))
        let high = UInt32(base.load(fromByteOffset: offset &+ 2, as: UInt8.self))
        let value = Int32(bitPattern: (low << 8) | (middle << 16) | (high << 24)) >> 8
        return Float(value) * (1 / 8_388_608)
    }
}

private struct SignedPCM32Reader: WAVSampleReader {
    static var size: Int { 4 }

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Int32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: Int32.self))) * (1 / 2_147_483_648)
    }
}

private struct Float32Reader: WAVSampleReader {
    static var size: Int { 4 }

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        let bits = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        return clamp(Float(bitPattern: bits))
    }
}

private struct Float64Reader: WAVSampleReader {
    static var size: Int { 8 }

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        let bits = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        return clamp(Float(Double(bitPattern: bits)))
    }
}

private struct TableReader: WAVSampleReader {
    static var size: Int { 1 }
    let table: UnsafePointer<Float>

    @inline(__always)
    func read(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
        self.table[Int(base.load(fromByteOffset: offset, as: UInt8.self))]
    }
}

/// Clamps to -1...1; NaN becomes 0.
@inline(__always)
private func clamp(_ value: Float) -> Float {
    if value > 1 { return 1 }
    if value < -1 { return -1 }
    return value == value ? value : 0
}
