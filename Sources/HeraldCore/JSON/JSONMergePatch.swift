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
