import Foundation
import Testing
import WavecastCore

/// What a decoder produced from a whole input.
struct WAVDecodeResult: Equatable {
    var format: WAVFormat?
    var samples: [Float]
    var warnings: [WAVWarning]
}

/// Feeds `bytes` to a fresh decoder in pieces of the given sizes (cycled), then finishes.
func decodeInPieces(
    _ bytes: [UInt8],
    pieceSizes: [Int],
    layout: WAVChannelLayout = .downmixToMono
) throws(WAVError) -> WAVDecodeResult {
    var decoder = WAVStreamDecoder(layout: layout)
    var samples: [Float] = []
    var index = 0
    var piece = 0
    while index < bytes.count {
        let size = min(max(1, pieceSizes[piece % pieceSizes.count]), bytes.count - index)
        samples += try decoder.decode(Array(bytes[index..<(index + size)]))
        index += size
        piece += 1
    }
    let warnings = try decoder.finish()
    return WAVDecodeResult(format: decoder.format, samples: samples, warnings: warnings)
}

/// Decodes `bytes` in one piece and returns the error, recording an issue when it decodes without one.
func decodeError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> WAVError? {
    do {
        let decoded = try WAVFile.decode(bytes)
        Issue.record("expected an error, decoded \(decoded.frameCount) frames", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Asserts that `bytes` fail to decode with `code`, both in one piece and byte by byte, and that the message
/// mentions every string in `mentions`.
func expectWAVError(
    _ bytes: [UInt8],
    _ code: WAVError.Code,
    offset: Int? = nil,
    mentions: [String],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let error = decodeError(bytes, sourceLocation: sourceLocation) else { return }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    if let offset {
        #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
    }
    let message = error.description
    for text in mentions {
        #expect(
            message.contains(text),
            "message \(message.debugDescription) lacks \(text.debugDescription)",
            sourceLocation: sourceLocation
        )
    }
    do {
        _ = try decodeInPieces(bytes, pieceSizes: [1])
        Issue.record("byte-by-byte decoding did not fail", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "byte by byte: \(error)", sourceLocation: sourceLocation)
    }
}

/// Deterministic test signal: `frames` interleaved frames of `channels` channels, each channel a different sine
/// with peak `amplitude`.
func testSignal(frames: Int, channels: Int, amplitude: Float = 0.9) -> [Float] {
    var samples: [Float] = []
    samples.reserveCapacity(frames * channels)
    for frame in 0..<frames {
        for channel in 0..<channels {
            let phase = Float(frame) * 0.0731 * Float(channel + 1) + Float(channel)
            samples.append(amplitude * sin(phase))
        }
    }
    return samples
}

/// The largest error decoding may add to a sample in -0.9...0.9 encoded with `encoding`.
func tolerance(for encoding: WAVFormat.Encoding) -> Float {
    switch encoding {
    case .unsignedPCM8: 1 / 128
    case .signedPCM16: 1 / 32768
    case .signedPCM24: 1 / 8_388_608
    case .signedPCM32: 1e-7
    case .float32: 0
    case .float64: 1e-7
    case .muLaw, .aLaw: 0.035
    }
}

/// The channel average of each interleaved frame.
func downmix(_ samples: [Float], channels: Int) -> [Float] {
    stride(from: 0, to: samples.count, by: channels).map { start in
        samples[start..<(start + channels)].reduce(0, +) / Float(channels)
    }
}

/// Asserts two sample arrays have the same length and differ by at most `tolerance` everywhere.
func expectClose(
    _ actual: [Float],
    _ expected: [Float],
    tolerance: Float,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    var worst: Float = 0
    var worstIndex = 0
    for (index, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > worst {
        worst = abs(a - e)
        worstIndex = index
    }
    #expect(
        worst <= tolerance,
        "sample \(worstIndex) off by \(worst) (tolerance \(tolerance))",
        sourceLocation: sourceLocation
    )
}
