import Foundation

/// PyJWT (PyPI `pyjwt`, `import jwt`), a widely used JWT library we did not write, run as `python3 -c`: it mints
/// HS256 tokens for our verifier, and says what it makes of the tokens we sign. A token format that only our own
/// code reads back could drift from RFC 7519 unnoticed; another library agreeing in both directions shows it has not.
///
/// The secret and the token go to the script in its environment, not its arguments (credentials stay out of argv).
public enum PyJWT {
    /// What PyJWT made of a token.
    public enum Verdict {
        /// It verified the signature (HS256 only) and `exp`, and decoded these claims.
        case accepted([String: Any])
        /// It refused the token: the name of its exception (`InvalidSignatureError`, `ExpiredSignatureError`, …).
        case refused(String)
    }

    /// `claims` (a JSON object) signed with `secret` by `jwt.encode(…, algorithm="HS256")`.
    ///
    /// - Throws: ``HarnessError`` when PyJWT is missing (scripts/test installs it) or the script fails.
    public static func encode(claims: String, secret: [UInt8]) throws -> String {
        let output = try Self.run(
            """
            import json, os, jwt
            claims = json.loads(os.environ["WAVECAST_TEST_CLAIMS"])
            print(jwt.encode(claims, bytes.fromhex(os.environ["WAVECAST_TEST_SECRET"]), algorithm="HS256"))
            """,
            environment: ["WAVECAST_TEST_CLAIMS": claims, "WAVECAST_TEST_SECRET": Self.hex(secret)]
        )
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What `jwt.decode(token, secret, algorithms=["HS256"])` makes of `token`, requiring `exp` and checking it
    /// against the real clock.
    ///
    /// - Throws: ``HarnessError`` when PyJWT is missing or the script fails other than by refusing the token.
    public static func decode(_ token: String, secret: [UInt8]) throws -> Verdict {
        let output = try Self.run(
            """
            import json, os, jwt
            try:
                secret = bytes.fromhex(os.environ["WAVECAST_TEST_SECRET"])
                claims = jwt.decode(os.environ["WAVECAST_TEST_TOKEN"], secret, algorithms=["HS256"],
                                    options={"require": ["exp"]})
                print(json.dumps({"claims": claims}))
            except jwt.InvalidTokenError as error:
                print(json.dumps({"error": type(error).__name__}))
            """,
            environment: ["WAVECAST_TEST_TOKEN": token, "WAVECAST_TEST_SECRET": Self.hex(secret)]
        )
        let object = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        if let claims = object?["claims"] as? [String: Any] { return .accepted(claims) }
        if let error = object?["error"] as? String { return .refused(error) }
        throw HarnessError("PyJWT's decode printed neither claims nor an error: \(output)")
    }

    private static func run(_ script: String, environment: [String: String]) throws -> String {
        try PythonClient.requireModule("jwt")
        let result = try ExternalTool.run("python3", ["-c", script], environment: environment)
        guard result.status == 0 else {
            throw HarnessError("the PyJWT script failed (status \(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
