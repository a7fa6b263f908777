import FuzzSupport
import WavecastCore

/// The bus message decoder on any multipart message (frames cut by ``LengthPrefixedFrames``): a message it accepts
/// must encode back to exactly its frames (a catalogue's entries to exactly its payload), and its times must be
/// computable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBusMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let frames = LengthPrefixedFrames.split(input)

    // The header decoder on the first 32 raw bytes too, whatever the framing.
    if size >= BusHeader.length, let header = try? BusHeader(decoding: input.prefix(BusHeader.length)) {
        fuzzCheck(header.encode().elementsEqual(input.prefix(BusHeader.length)), "header does not round-trip")
        _ = (header.timestamp, header.duration)
    }

    do throws(BusDecodingError) {
        let message = try BusMessage(frames: frames)
        fuzzCheck(message.frames() == frames, "message does not encode back to its frames")
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
