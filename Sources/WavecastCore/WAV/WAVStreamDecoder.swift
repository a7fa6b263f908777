/// An incremental WAV decoder: feed it the bytes of a WAV file in pieces of any size, get back Float samples.
///
/// Each ``decode(_:)-(UnsafeRawBufferPointer)`` call returns the samples of the whole sample frames that became
/// available and keeps a partial frame for the next call. Chunks other than `fmt ` and `data` are skipped without
/// being buffered, so the decoder holds at most a `fmt ` chunk (≤ 1 KiB) or one sample frame between calls. Call
/// ``finish()`` at the end of input: it throws if the header never completed and returns any warnings.
///
/// ```swift
/// var decoder = WAVStreamDecoder(layout: .interleaved)
/// for piece in pieces { samples += try decoder.decode(piece) }
/// let warnings = try decoder.finish()
/// ```
///
/// Once a call throws, every later call throws the same error.
public struct WAVStreamDecoder: Sendable {
    private enum State: Sendable {
        /// Collecting the 12-byte `RIFF` header into `header`.
        case riffHeader
        /// Collecting an 8-byte chunk header into `header`.
        case chunkHeader
        /// Collecting a `fmt ` payload of `size` bytes into `header`; the chunk starts at `start`.
        case fmtBody(size: Int, start: Int)
        /// Skipping `remaining` more bytes of a chunk that starts at `start`.
        case skipping(id: [UInt8], start: Int, size: Int, remaining: Int)
        /// Decoding audio; `remaining` is nil when the data runs to the end of input.
        case data(remaining: Int?)
        /// Past the `data` chunk: the rest of the input is ignored.
        case trailing
        /// ``WAVStreamDecoder/finish()`` returned.
        case finished
        /// A call threw this error.
        case failed(WAVError)
    }

    /// How output samples are arranged.
    public let layout: WAVChannelLayout

    /// The format, once the `fmt ` chunk has been read.
    public private(set) var format: WAVFormat?

    /// The warnings so far (see ``WAVWarning``); ``finish()`` returns the complete list.
    public private(set) var warnings: [WAVWarning] = []

    /// The number of whole sample frames decoded so far.
    public private(set) var frameCount = 0

    /// The bytes of input consumed so far.
    public private(set) var bytesConsumed = 0

    private var state: State = .riffHeader
    /// Header bytes collected so far (RIFF header, chunk header or `fmt ` payload).
    private var header: [UInt8] = []
    /// The bytes of a sample frame that is not complete yet.
    private var pending: [UInt8] = []
    /// The offset of the `data` chunk header, and the payload size it declares (nil: to the end of input).
    private var dataChunkStart = 0
    private var dataDeclared: Int?
    private var dataPresent = 0

    /// Creates a decoder.
    ///
    /// - Parameter layout: Down-mix every frame to one mono sample (the default), or keep all channels interleaved.
    public init(layout: WAVChannelLayout = .downmixToMono) {
        self.layout = layout
        self.header.reserveCapacity(64)
    }

    /// The bytes held back between calls: a partial header, `fmt ` chunk or sample frame. Never more than about 1 KiB.
    public var bufferedByteCount: Int { self.header.count + self.pending.count }

    /// Feeds the next piece of input.
    ///
    /// - Parameter bytes: The next bytes of the file, in order; any size, including empty or a single byte.
    /// - Returns: The samples of the whole frames completed by this piece: one per frame when down-mixing,
    ///   `channels` per frame when interleaved. Values are in -1...1.
    /// - Throws: ``WAVError`` when the header is malformed or describes an unsupported format.
    public mutating func decode(_ bytes: UnsafeRawBufferPointer) throws(WAVError) -> [Float] {
        var output: [Float] = []
        do throws(WAVError) {
            try self.consume(bytes, into: &output)
        } catch {
            self.state = .failed(error)
            throw error
        }
        return output
    }

    /// Feeds the next piece of input.
    ///
    /// - Parameter bytes: The next bytes of the file, in order.
    /// - Returns: The samples of the whole frames completed by this piece.
    /// - Throws: ``WAVError`` when the header is malformed or describes an unsupported format.
    public mutating func decode(_ bytes: [UInt8]) throws(WAVError) -> [Float] {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(WAVError) -> [Float] in try self.decode(buffer) }
        }
        return try result.get()
    }

    /// Ends the input.
    ///
    /// - Returns: Every warning about the input, e.g. a `data` chunk shorter than declared or a dropped partial frame.
    /// - Throws: ``WAVError`` when the input ended before the audio data started (empty input, no `fmt ` or `data`
    ///   chunk, a truncated header), or when an earlier call threw.
    public mutating func finish() throws(WAVError) -> [WAVWarning] {
        do throws(WAVError) {
            try self.endOfInput()
        } catch {
            self.state = .failed(error)
            throw error
        }
        self.state = .finished
        return self.warnings
    }

    // MARK: - State machine

    private mutating func consume(_ bytes: UnsafeRawBufferPointer, into output: inout [Float]) throws(WAVError) {
        let count = bytes.count
        var index = 0
        if case .failed(let error) = self.state { throw error }
        while index < count {
            switch self.state {
            case .riffHeader:
                index += self.collect(bytes, from: index, upTo: 12)
                try self.checkSignature(endOfInput: false)
                if self.header.count == 12 {
                    try self.checkFormType()
                    self.header.removeAll(keepingCapacity: true)
                    self.state = .chunkHeader
                }

            case .chunkHeader:
                index += self.collect(bytes, from: index, upTo: 8)
                if self.header.count == 8 {
                    try self.beginChunk()
                }

            case .fmtBody(let size, let start):
                index += self.collect(bytes, from: index, upTo: size)
                if self.header.count == size {
                    let parsed = self.header.withUnsafeBytes { payload in
                        Result { () throws(WAVError) -> WAVFormat in try WAVFmtChunk.parse(payload, at: start + 8) }
                    }
                    self.format = try parsed.get()
                    self.header.removeAll(keepingCapacity: true)
                    self.state =
                        size & 1 == 1
                        ? .skipping(id: Array("fmt ".utf8), start: start, size: size + 1, remaining: 1) : .chunkHeader
                }

            case .skipping(let id, let start, let size, let remaining):
                let skipped = min(remaining, count - index)
                index += skipped
                self.bytesConsumed += skipped
                self.state =
                    skipped == remaining
                    ? .chunkHeader : .skipping(id: id, start: start, size: size, remaining: remaining - skipped)

            case .data(let remaining):
                let available = min(remaining ?? Int.max, count - index)
                let piece = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + available)])
                self.decodeFrames(piece, into: &output)
                index += available
                self.bytesConsumed += available
                self.dataPresent += available
                if let remaining {
                    if remaining == available {
                        self.endData()
                    } else {
                        self.state = .data(remaining: remaining - available)
                    }
                }

            case .trailing, .finished:
                self.bytesConsumed += count - index
                index = count

            case .failed(let error):
                throw error
            }
        }
    }

    /// Appends input bytes to `header` until it holds `target` bytes; returns how many were taken.
    private mutating func collect(_ bytes: UnsafeRawBufferPointer, from index: Int, upTo target: Int) -> Int {
        let taken = min(target - self.header.count, bytes.count - index)
        self.header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + taken)]))
        self.bytesConsumed += taken
        return taken
    }

    /// Rejects what is recognisably not a WAV file as soon as enough leading bytes are in.
    private func checkSignature(endOfInput: Bool) throws(WAVError) {
        let bytes = self.header
        if bytes.count >= 2, bytes[0] == 0xFF, bytes[1] & 0xE0 == 0xE0 {
            throw .looksLikeMP3(id3: false)
        }
        if bytes.count >= 3, bytes[0..<3].elementsEqual("ID3".utf8) {
            throw .looksLikeMP3(id3: true)
        }
        guard bytes.count >= 4 else {
            if endOfInput && !"RIFF".utf8.starts(with: bytes) && !"ID3".utf8.starts(with: bytes) {
                throw .notRIFF(first: bytes, hint: nil)
            }
            return
        }
        let signature = Array(bytes[0..<4])
        switch String(decoding: signature, as: UTF8.self) {
        case "RIFF":
            return
        case "RF64", "BW64":
            throw .rf64(signature: signature)
        case "RIFX":
            throw .notRIFF(first: signature, hint: "a big-endian RIFX file, which is not supported")
        case "OggS":
            throw .notRIFF(first: signature, hint: "an Ogg file")
        case "fLaC":
            throw .notRIFF(first: signature, hint: "a FLAC file")
        case "FORM":
            throw .notRIFF(first: signature, hint: "an AIFF file")
        case "caff":
            throw .notRIFF(first: signature, hint: "a Core Audio file")
        default:
            throw .notRIFF(first: signature, hint: nil)
        }
    }

    private func checkFormType() throws(WAVError) {
        let formType = Array(self.header[8..<12])
        guard formType.elementsEqual("WAVE".utf8) else {
            throw .notWAVE(formType: formType)
        }
    }

    /// Acts on a complete chunk header in `header`.
    private mutating func beginChunk() throws(WAVError) {
        let id = Array(self.header[0..<4])
        let size =
            Int(self.header[4]) | Int(self.header[5]) << 8 | Int(self.header[6]) << 16 | Int(self.header[7]) << 24
        let start = self.bytesConsumed - 8
        self.header.removeAll(keepingCapacity: true)

        if id.elementsEqual("fmt ".utf8) && self.format == nil {
            guard size >= WAVFmtChunk.minimumSize else { throw .fmtTooShort(size: size, at: start) }
            guard size <= WAVFmtChunk.maximumSize else {
                throw .fmtTooLarge(size: size, limit: WAVFmtChunk.maximumSize, at: start)
            }
            self.state = .fmtBody(size: size, start: start)
        } else if id.elementsEqual("data".utf8) {
            guard self.format != nil else { throw .dataBeforeFmt(at: start) }
            self.dataChunkStart = start
            self.dataDeclared = size == 0 || size == 0xFFFF_FFFF ? nil : size
            self.state = .data(remaining: self.dataDeclared)
        } else {
            let padded = size + (size & 1)
            self.state = padded == 0 ? .chunkHeader : .skipping(id: id, start: start, size: padded, remaining: padded)
        }
    }

    /// Converts the whole frames in `pending` + `bytes`, and keeps the rest in `pending`.
    private mutating func decodeFrames(_ bytes: UnsafeRawBufferPointer, into output: inout [Float]) {
        guard let format = self.format, bytes.count > 0 else { return }
        let blockAlign = format.blockAlign
        var start = 0
        if !self.pending.isEmpty {
            start = min(blockAlign - self.pending.count, bytes.count)
            self.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<start]))
        }
        let completesPending = self.pending.count == blockAlign
        let frames = (bytes.count - start) / blockAlign
        let totalFrames = frames + (completesPending ? 1 : 0)
        if totalFrames > 0 {
            let perFrame = self.layout == .interleaved ? format.channels : 1
            let layout = self.layout
            let pendingFrame = self.pending
            let samples = [Float](unsafeUninitializedCapacity: totalFrames * perFrame) { buffer, initialized in
                var destination = buffer.baseAddress!
                if completesPending {
                    pendingFrame.withUnsafeBytes { frame in
                        WAVSampleConverter.convert(
                            frame.baseAddress!,
                            frames: 1,
                            format: format,
                            layout: layout,
                            into: destination
                        )
                    }
                    destination += perFrame
                }
                if frames > 0 {
                    WAVSampleConverter.convert(
                        bytes.baseAddress! + start,
                        frames: frames,
                        format: format,
                        layout: layout,
                        into: destination
                    )
                }
                initialized = totalFrames * perFrame
            }
            if output.isEmpty {
                output = samples
            } else {
                output.append(contentsOf: samples)
            }
            self.frameCount += totalFrames
        }
        if completesPending {
            self.pending.removeAll(keepingCapacity: true)
        }
        let tail = bytes.count - start - frames * blockAlign
        if tail > 0 {
            if self.pending.capacity < blockAlign {
                self.pending.reserveCapacity(blockAlign)
            }
            self.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - tail)...]))
        }
    }

    /// The audio ended: drop a partial frame, with a warning.
    private mutating func endData() {
        if !self.pending.isEmpty, let format = self.format {
            self.warnings.append(
                .partialFrameDropped(
                    bytes: self.pending.count,
                    blockAlign: format.blockAlign,
                    at: self.bytesConsumed - self.pending.count
                )
            )
            self.pending.removeAll()
        }
        self.state = .trailing
    }

    private mutating func endOfInput() throws(WAVError) {
        switch self.state {
        case .riffHeader:
            guard !self.header.isEmpty else { throw .emptyInput() }
            try self.checkSignature(endOfInput: true)
            throw .truncated("RIFF header", needed: 12, present: self.header.count, at: 0)
        case .chunkHeader:
            if !self.header.isEmpty {
                let start = self.bytesConsumed - self.header.count
                throw .truncated("header of the chunk", needed: 8, present: self.header.count, at: start)
            }
            if self.format == nil {
                throw .noFmtAtEnd(at: self.bytesConsumed)
            }
            throw .noDataAtEnd(at: self.bytesConsumed)
        case .fmtBody(let size, let start):
            throw .truncated("'fmt ' chunk", needed: size, present: self.header.count, at: start)
        case .skipping(let id, let start, let size, let remaining):
            let what = "\(WAVFourCC.describe(id)) chunk, before any 'data' chunk"
            throw .truncated(what, needed: size, present: size - remaining, at: start)
        case .data(let remaining):
            if let remaining, remaining > 0, let declared = self.dataDeclared {
                self.warnings.append(
                    .dataShorterThanDeclared(declared: declared, present: self.dataPresent, at: self.dataChunkStart)
                )
            }
            self.endData()
        case .trailing, .finished:
            break
        case .failed(let error):
            throw error
        }
    }
}
