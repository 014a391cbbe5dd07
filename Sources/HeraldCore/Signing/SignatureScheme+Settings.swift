/// A signature scheme as a person writes it in a webhook document: a preset name (`"github"`),
/// or an object whose fields replace the preset's (or, without `preset`, describe a scheme of its
/// own). `SignatureScheme.make(_:field:)` turns it into the checked scheme.
extension SignatureScheme {
    public struct Settings: Codable, Sendable, Equatable {
        public var preset: String?
        public var header: String?
        public var signed: String?
        public var encoding: String?
        public var prefix: String?
        public var separator: String?
        public var timestampHeader: String?
        public var timestampParam: String?
        public var idHeader: String?
        public var key: String?
        public var rotation: String?

        public init(preset: String? = nil) { self.preset = preset }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case preset, header, signed, encoding, prefix, separator, key, rotation
            case timestampHeader = "timestamp_header", timestampParam = "timestamp_param", idHeader = "id_header"
        }

        var isPresetOnly: Bool { self == Settings(preset: preset) }

        public init(from decoder: any Decoder) throws {
            if let name = try? decoder.singleValueContainer().decode(String.self) {
                preset = name
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            preset = try c.decodeIfPresent(String.self, forKey: .preset)
            header = try c.decodeIfPresent(String.self, forKey: .header)
            signed = try c.decodeIfPresent(String.self, forKey: .signed)
            encoding = try c.decodeIfPresent(String.self, forKey: .encoding)
            prefix = try c.decodeIfPresent(String.self, forKey: .prefix)
            separator = try c.decodeIfPresent(String.self, forKey: .separator)
            timestampHeader = try c.decodeIfPresent(String.self, forKey: .timestampHeader)
            timestampParam = try c.decodeIfPresent(String.self, forKey: .timestampParam)
            idHeader = try c.decodeIfPresent(String.self, forKey: .idHeader)
            key = try c.decodeIfPresent(String.self, forKey: .key)
            rotation = try c.decodeIfPresent(String.self, forKey: .rotation)
        }

        /// A preset alone is written as its name.
        public func encode(to encoder: any Encoder) throws {
            if isPresetOnly, let preset {
                var single = encoder.singleValueContainer()
                try single.encode(preset)
                return
            }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(preset, forKey: .preset)
            try c.encodeIfPresent(header, forKey: .header)
            try c.encodeIfPresent(signed, forKey: .signed)
            try c.encodeIfPresent(encoding, forKey: .encoding)
            try c.encodeIfPresent(prefix, forKey: .prefix)
            try c.encodeIfPresent(separator, forKey: .separator)
            try c.encodeIfPresent(timestampHeader, forKey: .timestampHeader)
            try c.encodeIfPresent(timestampParam, forKey: .timestampParam)
            try c.encodeIfPresent(idHeader, forKey: .idHeader)
            try c.encodeIfPresent(key, forKey: .key)
            try c.encodeIfPresent(rotation, forKey: .rotation)
        }
    }
}
