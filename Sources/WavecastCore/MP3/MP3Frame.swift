/// One whole MP3 (Layer III) frame: its parsed header and all of its bytes.
public struct MP3Frame: Sendable, Hashable {
    /// The parsed frame header.
    public let header: MP3FrameHeader
    /// The frame's bytes, header included; exactly ``MP3FrameHeader/frameLength`` long.
    public let bytes: [UInt8]
    /// How many bytes before this frame's side information its main data begins, in the bit reservoir
    /// of earlier frames. 0 means the frame decodes on its own.
    public let mainDataBegin: Int

    /// Makes a frame from its bytes, checking the header and the length.
    ///
    /// - Parameters:
    ///   - bytes: One whole frame, header included.
    /// - Throws: ``MP3HeaderError`` if the header is invalid or `bytes` is not as long as the header says.
    public init(bytes: [UInt8]) throws(MP3HeaderError) {
        let header = try MP3FrameHeader(bytes: bytes)
        guard bytes.count == header.frameLength else {
            throw .frameLengthMismatch(expected: header.frameLength, got: bytes.count)
        }
        self.header = header
        self.bytes = bytes
        self.mainDataBegin = try Self.mainDataBegin(header: header, bytes: bytes)
    }

    /// Whether the frame decodes on its own (`main_data_begin == 0`): a listener may start here.
    public var isSync: Bool {
        self.mainDataBegin == 0
    }

    /// The number of PCM samples (per channel) the frame decodes to.
    public var sampleCount: Int {
        self.header.samplesPerFrame
    }

    /// Whether this frame is an encoder's tag frame (Xing, Info or VBRI) rather than audio.
    ///
    /// LAME writes a Xing (VBR) or Info (CBR) frame, carrying the LAME tag, first in a file; Fraunhofer encoders write
    /// VBRI. Such a frame decodes to silence and must not be streamed. "Xing"/"Info" sit right after the side
    /// information; "VBRI" sits 32 bytes after the header.
    public var isXingOrInfoTag: Bool {
        let tagOffset = self.header.sideInfoOffset + self.header.sideInfoLength
        return self.hasTag("Xing", at: tagOffset) || self.hasTag("Info", at: tagOffset)
            || self.hasTag("VBRI", at: MP3FrameHeader.length + 32)
    }

    /// Reads `main_data_begin` from a frame's bytes.
    ///
    /// It is the first 9 bits (MPEG-1) or 8 bits (MPEG-2 and 2.5) of the side information, which starts after the
    /// 4-byte header and the 2-byte CRC if present.
    ///
    /// - Parameters:
    ///   - bytes: The frame's bytes from its header on; at least up to the first 1 or 2 bytes of side information.
    /// - Returns: The number of bytes of earlier frames the main data begins in; 0 for a frame that decodes alone.
    /// - Throws: ``MP3HeaderError`` if the header is invalid or the bytes end before `main_data_begin`.
    public static func mainDataBegin<Bytes: Collection>(
        of bytes: Bytes
    ) throws(MP3HeaderError) -> Int where Bytes.Element == UInt8 {
        try Self.mainDataBegin(header: MP3FrameHeader(bytes: bytes), bytes: bytes)
    }

    private static func mainDataBegin<Bytes: Collection>(
        header: MP3FrameHeader,
        bytes: Bytes
    ) throws(MP3HeaderError) -> Int where Bytes.Element == UInt8 {
        let offset = header.sideInfoOffset
        let neededBytes = header.version.mainDataBeginBits > 8 ? 2 : 1
        let sideInfo = Array(bytes.dropFirst(offset).prefix(neededBytes))
        guard sideInfo.count == neededBytes else {
            throw .truncated(needed: offset + neededBytes, got: offset + sideInfo.count)
        }
        if neededBytes == 2 {
            return Int(sideInfo[0]) << 1 | Int(sideInfo[1] >> 7)
        }
        return Int(sideInfo[0])
    }

    private func hasTag(_ tag: String, at offset: Int) -> Bool {
        let tagBytes = Array(tag.utf8)
        guard offset >= 0, offset + tagBytes.count <= self.bytes.count else {
            return false
        }
        return self.bytes[offset..<offset + tagBytes.count].elementsEqual(tagBytes)
    }
}
