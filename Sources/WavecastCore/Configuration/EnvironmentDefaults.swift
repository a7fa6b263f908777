#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Defaults for command-line options taken from `WAVECAST_*` environment variables.
///
/// Every option `--some-option` of the services can also be set as `WAVECAST_SOME_OPTION`, so a
/// compose file can configure a container without a command line. A flag given on the command
/// line wins over the environment. A variable that does not parse is reported by ``problems()``
/// rather than silently ignored.
public struct EnvironmentDefaults: Sendable {
    /// The variables' common prefix.
    public static let prefix = "WAVECAST_"

    private let lookup: @Sendable (String) -> String?

    /// Reads the process environment.
    public init() {
        self.lookup = { name in getenv(name).map { String(cString: $0) } }
    }

    /// Reads a fixed set of variables (for tests).
    public init(_ variables: [String: String]) {
        self.lookup = { variables[$0] }
    }

    /// The variable for the option `--name` (e.g. `max-client-lag-ms` → `WAVECAST_MAX_CLIENT_LAG_MS`).
    public static func variable(for option: String) -> String {
        Self.prefix + option.uppercased().replacingDashes
    }

    /// The raw value set for the option, if any.
    public func value(_ option: String) -> String? {
        self.lookup(Self.variable(for: option)).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The option's default: the environment's value, else `fallback`.
    public func string(_ option: String, _ fallback: String) -> String {
        self.value(option) ?? fallback
    }

    /// The option's default as an integer; an unparsable value leaves `fallback` (see ``problems()``).
    public func integer(_ option: String, _ fallback: Int) -> Int {
        self.value(option).flatMap { Int($0) } ?? fallback
    }

    /// The option's default as a boolean (`1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`).
    public func flag(_ option: String, _ fallback: Bool) -> Bool {
        guard let value = self.value(option) else { return fallback }
        return Self.parseFlag(value) ?? fallback
    }

    /// The option's default as a list, from a comma-separated value.
    public func list(_ option: String, _ fallback: [String]) -> [String] {
        guard let value = self.value(option) else { return fallback }
        return value.split(separator: ",").map { String($0).trimmingBlanks }.filter { !$0.isEmpty }
    }

    /// What is wrong with the variables given for these options, for a person to fix.
    ///
    /// - Parameters:
    ///   - integers: Options whose value must be a whole number.
    ///   - flags: Options whose value must be a boolean.
    public func problems(integers: [String] = [], flags: [String] = []) -> [String] {
        var problems: [String] = []
        for option in integers {
            if let value = self.value(option), Int(value) == nil {
                problems.append("\(Self.variable(for: option))='\(value)' is not a whole number")
            }
        }
        for option in flags {
            if let value = self.value(option), Self.parseFlag(value) == nil {
                problems.append("\(Self.variable(for: option))='\(value)' is not true/false (or 1/0, yes/no, on/off)")
            }
        }
        return problems
    }

    private static func parseFlag(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: nil
        }
    }
}

extension String {
    fileprivate var replacingDashes: String {
        String(self.map { $0 == "-" ? "_" : $0 })
    }

    fileprivate var trimmingBlanks: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
