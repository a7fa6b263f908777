import CSodium

/// HMAC-SHA256 (RFC 2104 over FIPS 180-4's SHA-256), from libsodium.
///
/// libsodium is the library Debian's libzmq links for CURVE, so both services carry it anyway; its HMAC takes
/// a key of any length, as RFC 2104 does (a key longer than SHA-256's 64-byte block is hashed first).
enum HMACSHA256 {
    /// The length of a code, in bytes.
    static let byteCount = Int(crypto_auth_hmacsha256_BYTES)

    /// libsodium's documentation asks for `sodium_init()` before any other call, once is enough, and it may be
    /// called from several threads. Its result is not needed: what it sets up (implementations chosen for the
    /// CPU, the random generator) is not what HMAC-SHA256 uses, which works the same either way.
    private static let initialised: Void = { _ = sodium_init() }()

    /// The code of `message` under `key`.
    static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        _ = Self.initialised
        var state = crypto_auth_hmacsha256_state()
        // The key lives on in the state: wiped once the code is out.
        defer { sodium_memzero(&state, MemoryLayout.size(ofValue: state)) }
        // These return 0 whatever they are given (libsodium 1.0.18); there is no failure to handle.
        Self.withAddress(of: key) { key, count in _ = crypto_auth_hmacsha256_init(&state, key, count) }
        Self.withAddress(of: message) { message, count in
            _ = crypto_auth_hmacsha256_update(&state, message, UInt64(count))
        }
        return [UInt8](unsafeUninitializedCapacity: Self.byteCount) { code, initialized in
            // A buffer of 32 bytes always has an address.
            _ = crypto_auth_hmacsha256_final(&state, code.baseAddress!)
            initialized = Self.byteCount
        }
    }

    /// Whether `code` is the code of `message` under `key`, compared in constant time (the time taken says
    /// nothing about where a forged code first differs).
    static func isValid(_ code: [UInt8], for message: [UInt8], key: [UInt8]) -> Bool {
        // The length is no secret: every code is 32 bytes.
        guard code.count == Self.byteCount else { return false }
        let expected = Self.authenticationCode(for: message, key: key)
        return Self.withAddress(of: code) { code, _ in
            Self.withAddress(of: expected) { expected, _ in crypto_verify_32(code, expected) == 0 }
        }
    }

    /// Calls `body` with the address and count of `bytes`. libsodium takes no null address, even for no bytes,
    /// and an empty array need not have one: it gets the address of a byte and a count of 0.
    private static func withAddress<Value>(
        of bytes: [UInt8],
        _ body: (UnsafePointer<UInt8>, Int) -> Value
    ) -> Value {
        bytes.withUnsafeBufferPointer { buffer in
            if let address = buffer.baseAddress { return body(address, buffer.count) }
            let placeholder: UInt8 = 0
            return withUnsafePointer(to: placeholder) { body($0, 0) }
        }
    }
}
