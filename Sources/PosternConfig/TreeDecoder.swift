import Foundation

/// Decodes `Decodable` values from JSON by way of `JSONSerialization`'s object tree.
///
/// Foundation's JSONDecoder on Linux takes about 85 ms for a configuration with 10,000
/// sender-group entries; parsing the same file into a tree takes 4 ms. Every CLI start,
/// every commit and every engine reload decodes the committed configuration, so this is
/// on the path of the commit-to-applied latency (Docs/benchmarks.md). Dates are ISO 8601
/// strings, as `CanonicalJSON` writes them. Errors are `DecodingError`s with their coding
/// path, like JSONDecoder's.
public enum TreeDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let tree: Any
        do {
            tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The file is not valid JSON.",
                                                    underlyingError: error))
        }
        return try TreeValueDecoder(tree, path: []).decodeValue(type)
    }
}

private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

private final class TreeValueDecoder: Decoder {
    let value: Any
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]

    init(_ value: Any, path: [any CodingKey]) {
        self.value = value
        self.codingPath = path
    }

    func mismatch<T>(_ type: T.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "Expected \(type), found \(Swift.type(of: value))."))
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if type == Date.self {
            guard let text = value as? String, let date = ISO8601DateFormatter().date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath,
                                                        debugDescription: "Expected an ISO 8601 date."))
            }
            return date as! T
        }
        return try T(from: self)
    }

    func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
        guard let object = value as? [String: Any] else { throw mismatch([String: Any].self) }
        return KeyedDecodingContainer(Keyed<K>(object: object, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let array = value as? [Any] else { throw mismatch([Any].self) }
        return Unkeyed(array: array, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    // MARK: Scalars

    func isNull() -> Bool { value is NSNull }

    /// JSONSerialization gives booleans as NSNumbers of ObjC type `c` and numbers as other NSNumbers.
    private var number: (NSNumber, isBool: Bool)? {
        guard let n = value as? NSNumber else { return nil }
        return (n, String(cString: n.objCType) == "c")
    }

    func bool() throws -> Bool {
        guard let (n, isBool) = number, isBool else { throw mismatch(Bool.self) }
        return n.boolValue
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let (n, isBool) = number, !isBool else { throw mismatch(type) }
        let kind = String(cString: n.objCType)
        let exact = kind == "d" || kind == "f" ? T(exactly: n.doubleValue) : T(exactly: n.int64Value)
        guard let exact else { throw mismatch(type) }
        return exact
    }

    func double() throws -> Double {
        guard let (n, isBool) = number, !isBool else { throw mismatch(Double.self) }
        return n.doubleValue
    }

    func string() throws -> String {
        guard let s = value as? String else { throw mismatch(String.self) }
        return s
    }
}

private struct Keyed<K: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: Any]
    let decoder: TreeValueDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [K] { object.keys.compactMap(K.init(stringValue:)) }

    func contains(_ key: K) -> Bool { object[key.stringValue] != nil }

    func child(_ key: K) throws -> TreeValueDecoder {
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "No value for \(key.stringValue)."))
        }
        return TreeValueDecoder(value, path: codingPath + [key])
    }

    func decodeNil(forKey key: K) throws -> Bool { object[key.stringValue] == nil || object[key.stringValue] is NSNull }
    func decode(_ type: Bool.Type, forKey key: K) throws -> Bool { try child(key).bool() }
    func decode(_ type: String.Type, forKey key: K) throws -> String { try child(key).string() }
    func decode(_ type: Double.Type, forKey key: K) throws -> Double { try child(key).double() }
    func decode(_ type: Float.Type, forKey key: K) throws -> Float { Float(try child(key).double()) }
    func decode(_ type: Int.Type, forKey key: K) throws -> Int { try child(key).integer(type) }
    func decode(_ type: Int8.Type, forKey key: K) throws -> Int8 { try child(key).integer(type) }
    func decode(_ type: Int16.Type, forKey key: K) throws -> Int16 { try child(key).integer(type) }
    func decode(_ type: Int32.Type, forKey key: K) throws -> Int32 { try child(key).integer(type) }
    func decode(_ type: Int64.Type, forKey key: K) throws -> Int64 { try child(key).integer(type) }
    func decode(_ type: UInt.Type, forKey key: K) throws -> UInt { try child(key).integer(type) }
    func decode(_ type: UInt8.Type, forKey key: K) throws -> UInt8 { try child(key).integer(type) }
    func decode(_ type: UInt16.Type, forKey key: K) throws -> UInt16 { try child(key).integer(type) }
    func decode(_ type: UInt32.Type, forKey key: K) throws -> UInt32 { try child(key).integer(type) }
    func decode(_ type: UInt64.Type, forKey key: K) throws -> UInt64 { try child(key).integer(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T { try child(key).decodeValue(type) }

    func nestedContainer<NK: CodingKey>(keyedBy type: NK.Type, forKey key: K) throws -> KeyedDecodingContainer<NK> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: K) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: K) throws -> any Decoder { try child(key) }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let array: [Any]
    let decoder: TreeValueDecoder
    var currentIndex = 0

    init(array: [Any], decoder: TreeValueDecoder) {
        self.array = array
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    mutating func next() throws -> TreeValueDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "The array ended."))
        }
        defer { currentIndex += 1 }
        return TreeValueDecoder(array[currentIndex], path: codingPath + [Key(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, array[currentIndex] is NSNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().bool() }
    mutating func decode(_ type: String.Type) throws -> String { try next().string() }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().double() }
    mutating func decode(_ type: Float.Type) throws -> Float { Float(try next().double()) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().integer(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

    mutating func nestedContainer<NK: CodingKey>(keyedBy type: NK.Type) throws -> KeyedDecodingContainer<NK> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct Single: SingleValueDecodingContainer {
    let decoder: TreeValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.isNull() }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
    func decode(_ type: String.Type) throws -> String { try decoder.string() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.double() }
    func decode(_ type: Float.Type) throws -> Float { Float(try decoder.double()) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}
