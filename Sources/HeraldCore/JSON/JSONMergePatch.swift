extension JSONValue {
    /// RFC 7396 JSON Merge Patch: an object patch changes only the keys it names (`null` removes a
    /// key, nested objects merge); any other patch value replaces the whole target.
    public func merging(patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result: JSONObject
        if case .object(let object) = self { result = object } else { result = JSONObject() }
        for (key, change) in changes {
            if change == .null {
                result[key] = nil
            } else {
                result[key] = (result[key] ?? .null).merging(patch: change)
            }
        }
        return .object(result)
    }
}

extension JSONValue {
    /// The path of the first string (or key) holding a NUL character, if any: text stored in
    /// PostgreSQL cannot hold one, so input with it is refused at the edge, naming where.
    public func pathOfNUL(_ path: String = "") -> String? {
        switch self {
        case .string(let s): return s.utf8.contains(0) ? path : nil
        case .array(let items):
            for (i, item) in items.enumerated() { if let p = item.pathOfNUL("\(path)[\(i)]") { return p } }
            return nil
        case .object(let object):
            for (key, value) in object {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if key.utf8.contains(0) { return child }
                if let p = value.pathOfNUL(child) { return p }
            }
            return nil
        default: return nil
        }
    }
}
