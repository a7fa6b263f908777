/// Validates UTF-8 incrementally, so a code point may be split between fragments (the WHATWG decoder's
/// algorithm: rejects overlong forms, surrogates and code points past U+10FFFF as soon as they show).
struct UTF8Validator {
    /// Continuation bytes still expected for the code point in progress.
    private var needed = 0
    /// The range the next continuation byte must fall in.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether no code point is left unfinished.
    var isComplete: Bool { self.needed == 0 }

    /// Takes in more bytes; false as soon as they cannot be UTF-8, whatever follows.
    mutating func consume(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            if self.needed == 0 {
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: self.needed = 1
                case 0xE0: (self.needed, self.lower) = (2, 0xA0)
                case 0xE1...0xEC, 0xEE...0xEF: self.needed = 2
                case 0xED: (self.needed, self.upper) = (2, 0x9F)
                case 0xF0: (self.needed, self.lower) = (3, 0x90)
                case 0xF1...0xF3: self.needed = 3
                case 0xF4: (self.needed, self.upper) = (3, 0x8F)
                default: return false
                }
            } else {
                guard byte >= self.lower, byte <= self.upper else { return false }
                (self.needed, self.lower, self.upper) = (self.needed - 1, 0x80, 0xBF)
            }
        }
        return true
    }
}
