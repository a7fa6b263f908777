import FuzzSupport
import WavecastCore

/// The ingest request decoder on any multipart request (frames cut by ``LengthPrefixedFrames``: the JSON header,
/// then the payload and any extra frames): it either decodes or throws an ``IngestError`` whose reply is valid JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIngestRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let frames = LengthPrefixedFrames.split(input)

    let reply: IngestReply
    do throws(IngestError) {
        // Small enough that the fuzzer reaches the size limit too.
        let request = try IngestRequest(frames: frames, maxMessageBytes: 2048)
        reply = .success(for: request)
        switch request.operation {
        case .play(let wav, _), .pcm(let wav):
            fuzzCheck(frames.count == 2 && wav == frames[1], "the payload is not the second frame")
        case .open(let sampleRate, let channels, _):
            fuzzCheck(IngestRequest.sampleRateRange.contains(sampleRate), "sample rate \(sampleRate)")
            fuzzCheck(IngestRequest.channelRange.contains(channels), "channels \(channels)")
        case .close, .stop, .clear, .marks, .status:
            fuzzCheck(frames.count == 1, "\(frames.count) frames for \(request.operationName)")
        case .mark(let name):
            fuzzCheck(frames.count == 1, "\(frames.count) frames for a mark")
            fuzzCheck((1...BusMessage.maximumMarkNameBytes).contains(name.utf8.count), "mark name of \(name.utf8.count) bytes")
        }
    } catch {
        _ = error.description
        reply = .failure(error)
    }
    // The reply goes back on the wire: it must be JSON that parses back to the same object.
    // (`JSONValue.parse` does not keep key order, so objects are compared with sorted keys.)
    let parsed = (try? JSONValue.parse(reply.bytes)).map(sortingKeys)
    fuzzCheck(
        parsed == sortingKeys(.object(reply.body)),
        "reply does not round-trip: \(String(decoding: reply.bytes, as: UTF8.self))"
    )
    return 0
}

/// `value` with every object's members sorted by key.
private func sortingKeys(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let values):
        return .array(values.map(sortingKeys))
    case .object(let object):
        var sorted = JSONObject()
        for member in object.members.sorted(by: { $0.key < $1.key }) {
            sorted[member.key] = sortingKeys(member.value)
        }
        return .object(sorted)
    case .null, .bool, .number, .string:
        return value
    }
}
