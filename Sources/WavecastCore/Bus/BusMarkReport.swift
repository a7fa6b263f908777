/// What one gateway saw of playback marks since its last report: how many listeners it sent each mark to, how many
/// echoed it (they played up to it), and which marks a `clear` cut before they were sent.
///
/// Gateways send reports *up* the bus: their socket is an XSUB, and a message from an XSUB that is not a
/// subscription (first byte 0 or 1) reaches the encoder's XPUB as is. So the way back needs no socket, address or
/// key of its own, and reaches every encoder the gateway follows; each encoder applies the entries for marks it
/// placed. On the wire a report is one frame: the byte ``tag`` (2), then a JSON object:
///
/// ```
/// 02 {"gateway":"gw-1","marks":[{"stream":"bot","epoch":7,"name":"turn-1","sent":2,"echoed":1,"cut":false}]}
/// ```
///
/// Counts are increments since the gateway's previous report, so the encoder sums them.
public struct BusMarkReport: Sendable, Hashable {
    /// One mark's news from the gateway.
    public struct Entry: Sendable, Hashable {
        /// The mark's stream.
        public var stream: StreamID
        /// The stream's incarnation the mark belongs to.
        public var epoch: UInt32
        /// The mark's name.
        public var name: String
        /// Listeners the mark was sent to since the last report.
        public var sent: Int
        /// Listeners who echoed the mark since the last report.
        public var echoed: Int
        /// A `clear` dropped the mark before it was sent to anyone here.
        public var cut: Bool

        /// Makes an entry.
        public init(stream: StreamID, epoch: UInt32, name: String, sent: Int = 0, echoed: Int = 0, cut: Bool = false) {
            self.stream = stream
            self.epoch = epoch
            self.name = name
            self.sent = sent
            self.echoed = echoed
            self.cut = cut
        }
    }

    /// The first byte of a report frame: not 0 or 1, which XPUB takes for (un)subscriptions.
    public static let tag: UInt8 = 2
    /// The largest report frame accepted, in bytes; a gateway splits longer reports.
    public static let maximumBytes = 65_536
    /// The longest gateway name, in UTF-8 bytes.
    public static let maximumGatewayNameBytes = 128

    /// The most listeners one entry may count (a sanity cap: a report cannot make the encoder's sums overflow).
    public static let maximumCount = 1 << 24

    /// The reporting gateway's name: its host name and port.
    public var gateway: String
    /// The marks with news.
    public var entries: [Entry]

    /// Makes a report.
    public init(gateway: String, entries: [Entry]) {
        self.gateway = gateway
        self.entries = entries
    }

    /// The report as one frame: ``tag``, then the JSON object.
    public func encode() -> [UInt8] {
        let marks = self.entries.map { entry -> JSONValue in
            .object([
                "stream": .string(entry.stream.rawValue),
                "epoch": .number(Double(entry.epoch)),
                "name": .string(entry.name),
                "sent": .number(Double(entry.sent)),
                "echoed": .number(Double(entry.echoed)),
                "cut": .bool(entry.cut),
            ])
        }
        var bytes: [UInt8] = [Self.tag]
        JSONValue.object(["gateway": .string(self.gateway), "marks": .array(marks)]).write(into: &bytes)
        return bytes
    }

    /// Decodes a report frame, checking every field.
    ///
    /// - Throws: ``BusMarkReportError`` saying what is wrong and where.
    public init(decoding frame: [UInt8]) throws(BusMarkReportError) {
        guard frame.first == Self.tag else {
            throw BusMarkReportError("the frame does not start with the report tag 0x02")
        }
        guard frame.count <= Self.maximumBytes else {
            throw BusMarkReportError("the report is \(frame.count) bytes; at most \(Self.maximumBytes) are accepted")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(frame.dropFirst()))
        } catch {
            throw BusMarkReportError("the report is \(error)")
        }
        guard case .object(let object) = value else {
            throw BusMarkReportError("the report must be a JSON object")
        }
        guard case .string(let gateway)? = object["gateway"], !gateway.isEmpty,
            gateway.utf8.count <= Self.maximumGatewayNameBytes
        else {
            throw BusMarkReportError("'gateway' must be a name of 1 to \(Self.maximumGatewayNameBytes) bytes")
        }
        guard case .array(let marks)? = object["marks"] else {
            throw BusMarkReportError("'marks' must be an array")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(marks.count)
        for (index, mark) in marks.enumerated() {
            entries.append(try Self.entry(mark, at: index))
        }
        self.init(gateway: gateway, entries: entries)
    }

    private static func entry(_ value: JSONValue, at index: Int) throws(BusMarkReportError) -> Entry {
        func fail(_ problem: String) -> BusMarkReportError {
            BusMarkReportError("marks[\(index)]: \(problem)")
        }
        guard case .object(let object) = value else { throw fail("must be an object") }
        guard case .string(let id)? = object["stream"], let stream = try? StreamID(id) else {
            throw fail("'stream' must be a valid stream id")
        }
        guard let epoch = object["epoch"]?.integerValue, (1...Int(UInt32.max)).contains(epoch) else {
            throw fail("'epoch' must be a whole number from 1 to \(UInt32.max)")
        }
        guard case .string(let name)? = object["name"], (1...BusMessage.maximumMarkNameBytes).contains(name.utf8.count)
        else {
            throw fail("'name' must be a mark name of 1 to \(BusMessage.maximumMarkNameBytes) bytes")
        }
        guard let sent = object["sent"]?.integerValue, (0...Self.maximumCount).contains(sent) else {
            throw fail("'sent' must be a whole number from 0 to \(Self.maximumCount)")
        }
        guard let echoed = object["echoed"]?.integerValue, (0...Self.maximumCount).contains(echoed) else {
            throw fail("'echoed' must be a whole number from 0 to \(Self.maximumCount)")
        }
        guard case .bool(let cut)? = object["cut"] else {
            throw fail("'cut' must be true or false")
        }
        return Entry(stream: stream, epoch: UInt32(epoch), name: name, sent: sent, echoed: echoed, cut: cut)
    }
}
