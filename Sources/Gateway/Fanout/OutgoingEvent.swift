import NIOCore
import WavecastCore

/// Something a stream's listeners are sent, already framed: the WebSocket frames are built once on
/// the bus thread and the same buffers are written to every client.
struct OutgoingEvent: Sendable {
    enum Kind: Sendable {
        case start
        case chunk(isSync: Bool, sequence: UInt64, durationNanoseconds: UInt64)
        case end
        /// Barge-in: sent at once, it overtakes the stream's chunks still waiting, which are dropped.
        case clear
        /// A playback mark, due right after the chunk before it; listeners echo it when they have played it.
        case mark(name: String, epoch: UInt32)
    }

    /// The stream the event belongs to.
    var stream: StreamID
    /// What it is.
    var kind: Kind
    /// The whole WebSocket text frame for ordinary clients.
    var frame: ByteBuffer
    /// The frame for `?compat=seed` clients (chunks only; they get no start or end).
    var seedFrame: ByteBuffer?
    /// When it is due, in monotonic nanoseconds.
    var deadline: UInt64
    /// The event's place among every event the bus thread made, strictly increasing: a loop that is handed an event
    /// twice (a burst overlapping what it was already sent) keeps only the first.
    var serial: UInt64
    /// The stream's incarnation (0 when the encoder gave none): what `?resume=` names.
    var epoch: UInt32 = 0

    /// The same event with its frames copied into storage of their own.
    func withOwnBuffers() -> OutgoingEvent {
        func copied(_ buffer: ByteBuffer) -> ByteBuffer {
            var copy = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
            copy.writeImmutableBuffer(buffer)
            return copy
        }
        var copy = self
        copy.frame = copied(self.frame)
        copy.seedFrame = self.seedFrame.map(copied)
        return copy
    }

    /// Builds the event's WebSocket frames from `message`'s JSON.
    static func frame(_ json: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var header: [UInt8] = []
        WebSocketFrameHeader.append(opcode: .text, payloadLength: json.count, to: &header)
        var buffer = allocator.buffer(capacity: header.count + json.count)
        buffer.writeBytes(header)
        buffer.writeBytes(json)
        return buffer
    }
}
