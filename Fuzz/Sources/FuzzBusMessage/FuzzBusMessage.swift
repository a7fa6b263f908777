import FuzzSupport
import WavecastCore

/// The bus message decoder on any multipart message (frames cut by ``LengthPrefixedFrames``): a version-2 message it
/// accepts must encode back to exactly its frames (a catalogue's entries to exactly its payload), a version-1 one to
/// the same fields in version 2, and its times must be computable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBusMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let frames = LengthPrefixedFrames.split(input)

    // The header decoder on the first 40 (version 2) or 32 (version 1) raw bytes too, whatever the framing.
    for length in [BusHeader.length, BusHeader.version1Length] where size >= length {
        guard let header = try? BusHeader(decoding: input.prefix(length)) else { continue }
        let encoded = header.encode()
        if length == BusHeader.length {
            fuzzCheck(encoded.elementsEqual(input.prefix(length)), "header does not round-trip")
        } else {
            // Read as version 2: the same fields, epoch 0, MP3.
            fuzzCheck(encoded.dropFirst().prefix(31).elementsEqual(input.dropFirst().prefix(31)), "v1 header changed")
            fuzzCheck(encoded.suffix(8).allSatisfy { $0 == 0 }, "a v1 header gained an epoch or rendition")
        }
        _ = (header.timestamp, header.duration)
    }

    do throws(BusDecodingError) {
        let message = try BusMessage(frames: frames)
        if frames[1].first == BusHeader.version {
            fuzzCheck(message.frames() == frames, "message does not encode back to its frames")
        } else {
            let reread = try BusMessage(frames: message.frames())
            fuzzCheck(reread == message, "a v1 message changes when re-read")
        }
        _ = (message.header.timestamp, message.header.duration, message.header.kind.description)
        if message.header.kind == .catalogue {
            // Accepted means its entries decode, and encode back to exactly the payload.
            let catalogue = try BusCatalogue(decoding: message.payload, count: Int(message.header.frameCount))
            fuzzCheck(catalogue.encode() == message.payload, "catalogue does not encode back to its payload")
        }
    } catch {
        _ = error.description
    }
    return 0
}
