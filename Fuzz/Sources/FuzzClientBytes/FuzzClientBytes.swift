import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import WavecastCore

@testable import Gateway

/// A client's bytes through the gateway's own pipeline on an `EmbeddedChannel`: NIO's HTTP decoder, the WebSocket
/// upgrader with ``HandshakeCheck``, ``GatewayHTTPHandler``, and after an upgrade `WebSocketFrameDecoder` and
/// ``ListenerHandler``. Whatever the bytes, the channel must answer or close, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    // Every third input runs with an Origin allow-list, so that check is reached too.
    let configuration = size % 3 == 0 ? ClientBytesPipeline.restricted : ClientBytesPipeline.open
    let channel = EmbeddedChannel()
    do {
        try ClientBytesPipeline.configure(channel, configuration: configuration)
        try channel.connect(to: ClientBytesPipeline.peer).wait()
    } catch {
        fatalError("could not build the pipeline: \(error)")
    }
    for piece in InputPieces(input) {
        guard channel.isActive else { break }
        do {
            try channel.writeInbound(ByteBuffer(bytes: piece))
        } catch {
            // An error raised through the pipeline is an answer: the handlers close the connection.
        }
        ClientBytesPipeline.drainOutbound(channel)
    }
    // Fire the listener's delayed close (2 s) and the HTTP request timeout (10 s), then close as the client would.
    channel.embeddedEventLoop.advanceTime(by: .seconds(11))
    ClientBytesPipeline.drainOutbound(channel)
    _ = try? channel.finish(acceptAlreadyClosed: true)
    channel.embeddedEventLoop.advanceTime(by: .seconds(3))
    return 0
}
