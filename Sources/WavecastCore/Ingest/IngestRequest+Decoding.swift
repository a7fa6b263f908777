extension IngestRequest {
    /// Highest live PCM sample rate accepted by `open`, in Hz.
    public static let sampleRateRange = 8000...192_000
    /// Channel counts accepted by `open`.
    public static let channelRange = 1...8

    /// Decodes a request from its frames, `[JSON header][optional payload]` (routing frames removed).
    ///
    /// - Parameters:
    ///   - frames: The message's content frames.
    ///   - maxMessageBytes: The largest total message size accepted.
    /// - Throws: ``IngestError`` saying exactly what is wrong, to be sent back as the reply.
    public init(frames: [[UInt8]], maxMessageBytes: Int) throws(IngestError) {
        try self.init(frames: frames[...], maxMessageBytes: maxMessageBytes)
    }

    /// Decodes a request from its frames, `[JSON header][optional payload]`, a slice of the whole message: the
    /// encoder reads them behind the routing frames, without copying them out.
    ///
    /// - Parameters:
    ///   - frames: The message's content frames.
    ///   - maxMessageBytes: The largest total message size accepted.
    /// - Throws: ``IngestError`` saying exactly what is wrong, to be sent back as the reply.
    public init(frames: ArraySlice<[UInt8]>, maxMessageBytes: Int) throws(IngestError) {
        guard let headerBytes = frames.first else {
            throw .invalidRequest("the message is empty: expected [JSON header][optional payload]")
        }
        let size = frames.reduce(0) { $0 + $1.count }
        if size > maxMessageBytes {
            throw .payloadTooLarge(size: size, limit: maxMessageBytes)
        }
        let header: JSONObject
        do {
            guard case .object(let object) = try JSONValue.parse(headerBytes) else {
                throw IngestError.invalidRequest("the request header must be a JSON object like {\"op\":\"status\"}")
            }
            header = object
        } catch let error as JSONParseError {
            throw .invalidJSON("\(error)")
        } catch let error as IngestError {
            throw error
        } catch {
            throw .invalidJSON("\(error)")
        }

        guard let opValue = header["op"] else {
            throw IngestError(
                code: "missing_field",
                message: "the request needs the field 'op' (play, open, pcm, close, stop, clear, mark, marks or status)"
            )
        }
        guard case .string(let op) = opValue else {
            throw .invalidField("op", "must be a string, not \(opValue.typeDescription)")
        }
        let requestID = header["id"]
        let payload: [UInt8]? = frames.dropFirst().first

        func stream(required: Bool) throws(IngestError) -> StreamID? {
            guard let value = header["stream"] else {
                if required { throw .missingField("stream", op: op) }
                return nil
            }
            guard case .string(let string) = value else {
                throw .invalidField("stream", "must be a string, not \(value.typeDescription)")
            }
            do {
                return try StreamID(string)
            } catch {
                throw .invalidStreamID(error)
            }
        }
        func requireFrames(_ count: Int) throws(IngestError) {
            if frames.count > count { throw .unexpectedPayload(op: op, frames: frames.count) }
        }
        func integer(_ field: String, range: ClosedRange<Int>) throws(IngestError) -> Int {
            guard let value = header[field] else { throw .missingField(field, op: op) }
            guard let integer = value.integerValue else {
                throw .invalidField(field, "must be a whole number, not \(value.serialized)")
            }
            guard range.contains(integer) else {
                throw .invalidField(
                    field,
                    "is \(integer); it must be between \(range.lowerBound) and \(range.upperBound)"
                )
            }
            return integer
        }

        let operation: Operation
        switch op {
        case "play":
            try requireFrames(2)
            guard let payload, !payload.isEmpty else {
                throw .missingPayload(op: op, what: "a whole WAV file")
            }
            var loop = false
            if let value = header["loop"] {
                guard case .bool(let flag) = value else {
                    throw .invalidField("loop", "must be true or false, not \(value.serialized)")
                }
                loop = flag
            }
            operation = .play(wav: payload, loop: loop)
        case "open":
            try requireFrames(1)
            if let value = header["encoding"] {
                guard case .string(let encoding) = value else {
                    throw .invalidField("encoding", "must be a string, not \(value.typeDescription)")
                }
                guard encoding == "s16le" else {
                    throw IngestError(
                        code: "unsupported_encoding",
                        message: "encoding '\(encoding)' is not supported; live PCM must be \"s16le\" "
                            + "(signed 16-bit little-endian, channels interleaved)"
                    )
                }
            }
            let sampleRate = try integer("sample_rate", range: Self.sampleRateRange)
            let channels = try integer("channels", range: Self.channelRange)
            var replies = PCMReplies.all
            if let value = header["replies"] {
                guard case .string(let text) = value, let policy = PCMReplies(rawValue: text) else {
                    throw .invalidField("replies", "must be \"all\" or \"errors\", not \(value.serialized)")
                }
                replies = policy
            }
            operation = .open(sampleRate: sampleRate, channels: channels, replies: replies)
        case "pcm":
            try requireFrames(2)
            guard let payload, !payload.isEmpty else {
                throw .missingPayload(op: op, what: "raw s16le PCM")
            }
            operation = .pcm(payload)
        case "close":
            try requireFrames(1)
            operation = .close
        case "stop":
            try requireFrames(1)
            operation = .stop
        case "clear":
            try requireFrames(1)
            operation = .clear
        case "mark":
            try requireFrames(1)
            guard let value = header["name"] else { throw .missingField("name", op: op) }
            guard case .string(let name) = value else {
                throw .invalidField("name", "must be a string, not \(value.typeDescription)")
            }
            guard (1...BusMessage.maximumMarkNameBytes).contains(name.utf8.count) else {
                throw .invalidField(
                    "name",
                    "is \(name.utf8.count) bytes of UTF-8; a mark name is 1 to \(BusMessage.maximumMarkNameBytes)"
                )
            }
            // Control characters would travel escaped six bytes each in every report; nobody names a mark with them.
            if let control = name.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw .invalidField(
                    "name",
                    "holds the control character 0x\(String(control.value, radix: 16, uppercase: true)); a mark name is text"
                )
            }
            operation = .mark(name: name)
        case "marks":
            try requireFrames(1)
            operation = .marks
        case "status":
            try requireFrames(1)
            self.init(operation: .status, stream: try stream(required: false), requestID: requestID)
            return
        default:
            throw .unknownOperation(op)
        }
        // Only what a stream is encoded to takes renditions: `play` and `open`.
        let renditions = op == "play" || op == "open" ? try Self.renditions(in: header) : nil
        self.init(
            operation: operation,
            stream: try stream(required: true),
            requestID: requestID,
            renditions: renditions
        )
    }
}
