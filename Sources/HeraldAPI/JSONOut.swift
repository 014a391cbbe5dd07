import Foundation
import HTTPTypes
import Hummingbird

/// JSON answers: typed records encoded once, compactly, with snake_case keys chosen by each type.
enum JSONOut {
    static func bytes<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return (try? Array(encoder.encode(value))) ?? Array(#"{"title":"encoding failed"}"#.utf8)
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"   // answers may hold a secret shown once, or tenant data
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes(value))))
    }

    static func noContent() -> Response { Response(status: .noContent) }
}
