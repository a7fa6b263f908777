import FuzzSupport
import WavecastCore

/// The WAV reader on any bytes: `WAVFile.decode` (down-mixed) and `WAVStreamDecoder` (interleaved, fed in pieces)
/// must agree on success or failure and on the frame count, hold at most a header or one frame between calls, and
/// return only samples in -1...1.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let bytes = Array(input)

    let whole = Result { () throws(WAVError) -> DecodedWAV in try WAVFile.decode(bytes) }
    if case .success(let decoded) = whole {
        checkRange(decoded.samples)
        _ = decoded.warnings.map(\.description)
    }
    if case .failure(let error) = whole {
        _ = error.description
    }

    var decoder = WAVStreamDecoder(layout: .interleaved)
    var sampleCount = 0
    var streamed: Result<[WAVWarning], WAVError>
    do throws(WAVError) {
        for piece in InputPieces(input) {
            let samples = try decoder.decode(piece)
            checkRange(samples)
            sampleCount += samples.count
            // At most a fmt chunk (1 KiB) or one sample frame (8 channels × 8 bytes) is held back.
            fuzzCheck(decoder.bufferedByteCount <= 1024 + 64, "buffered \(decoder.bufferedByteCount) bytes")
        }
        streamed = .success(try decoder.finish())
    } catch {
        streamed = .failure(error)
    }
    fuzzCheck(decoder.bytesConsumed <= size, "consumed \(decoder.bytesConsumed) of \(size) bytes")

    switch (whole, streamed) {
    case (.success(let decoded), .success):
        let channels = decoded.format.channels
        fuzzCheck(
            sampleCount == decoded.samples.count * channels,
            "\(sampleCount) ≠ \(decoded.samples.count) × \(channels)"
        )
        fuzzCheck(
            decoder.frameCount == decoded.samples.count,
            "\(decoder.frameCount) ≠ \(decoded.samples.count) frames"
        )
    case (.failure(let a), .failure(let b)):
        fuzzCheck(a.description == b.description, "whole: \(a); in pieces: \(b)")
    case (.success, .failure(let error)):
        fuzzCheck(false, "decodes whole, but in pieces of \(InputPieces(input).pieceSize) throws: \(error)")
    case (.failure(let error), .success):
        fuzzCheck(false, "decodes in pieces of \(InputPieces(input).pieceSize), but whole throws: \(error)")
    }
    return 0
}

private func checkRange(_ samples: [Float]) {
    for sample in samples {
        fuzzCheck(sample >= -1 && sample <= 1, "sample \(sample) outside -1...1")
    }
}
