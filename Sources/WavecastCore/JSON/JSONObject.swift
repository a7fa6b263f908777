/// A JSON object whose keys keep the order they were added in.
public struct JSONObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// The members, in order.
    public private(set) var members: [(key: String, value: JSONValue)] = []

    /// Creates an empty object.
    public init() {}

    /// Creates an object from a literal, keeping its order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements {
            self[key] = value
        }
    }

    /// The value for `key`; setting replaces it in place or appends it, and `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { self.members.first { $0.key == key }?.value }
        set {
            if let index = self.members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    self.members[index].value = newValue
                } else {
                    self.members.remove(at: index)
                }
            } else if let newValue {
                self.members.append((key, newValue))
            }
        }
    }

    /// The keys, in order.
    public var keys: [String] { self.members.map(\.key) }

    /// Appends a member whose key the caller knows is new (the parser checks with a set, so a
    /// document with many keys is not read in quadratic time).
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        self.members.append((key, value))
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for member in self.members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}
