import Foundation
import Logging
import Herald
import HeraldCore
import HTTPTypes
import Hummingbird
import Synchronization

extension APIServer {
    func addDeliveryRoutes(_ api: RouterGroup<APIRequestContext>) {
        api.get("/deliveries") { request, context in
            let filter = DeliveryQueries.Filter(webhookID: try request.query("webhook_id", maxBytes: 128), tenant: try request.query("tenant", maxBytes: 63),
                                                state: try request.query("state", maxBytes: 20), eventType: try request.query("event_type", maxBytes: 128),
                                                from: try request.query("from", maxBytes: 64), to: try request.query("to", maxBytes: 64))
            let cursor = try request.query("cursor")
            let limit = try request.queryInt("limit", default: 50, range: 1...1000)
            return JSONOut.response(try await run(context) { c, who in
                try DeliveryQueries(context: c, principal: who).list(filter, cursor: cursor, limit: limit)
            })
        }

        api.get("/deliveries/:id") { _, context in
            let id = try self.id(context)
            return JSONOut.response(try await run(context) { c, who in try DeliveryQueries(context: c, principal: who).detail(id) })
        }

        api.post("/deliveries/:id/resend") { _, context in
            let id = try self.id(context)
            let sent = try await run(context) { c, who in try DeliveryQueries(context: c, principal: who).resend([id]) }
            return JSONOut.response(Resent(resent: sent.count, ids: sent), status: .accepted)
        }

        api.post("/deliveries/recover") { request, context in
            var request = request
            let input = try Input(try await request.bodyBytes(limit: 1 << 20), allowed: ["from", "to", "webhook_id", "tenant", "dry_run"])
            guard let from = try input.string("from", maxBytes: 64) else { throw Problem.invalid("from", "from: is required (a date or an RFC 3339 time)") }
            guard let to = try input.string("to", maxBytes: 64) else { throw Problem.invalid("to", "to: is required (a date or an RFC 3339 time)") }
            let (webhook, tenant, dryRun) = (try input.string("webhook_id", maxBytes: 128), try input.string("tenant", maxBytes: 63), try input.bool("dry_run") ?? false)
            let ids = try await run(context, slow: true) { c, who in
                try DeliveryQueries(context: c, principal: who).recover(from: from, to: to, tenant: tenant, webhookID: webhook, dryRun: dryRun)
            }
            return JSONOut.response(Recovered(dryRun: dryRun, count: ids.count, ids: ids))
        }

        api.get("/stats") { request, context in
            let (from, to) = try period(request)
            let tenant = try request.query("tenant", maxBytes: 63)
            return JSONOut.response(Listed(data: try await run(context) { c, who in
                try DeliveryQueries(context: c, principal: who).report(from: from, to: to, tenant: tenant)
            }))
        }

        // Streamed: the export is read through a database cursor and written as it comes, with at
        // most a few chunks in memory; a client that goes away stops the query.
        api.get("/attempts/export") { request, context in
            let (from, to) = try period(request)
            let webhook = try request.query("webhook_id", maxBytes: 128)
            let tenant = try request.query("tenant", maxBytes: 63)
            let formatText = try request.query("format", maxBytes: 10) ?? "csv"
            guard let format = DeliveryQueries.ExportFormat(rawValue: formatText) else { throw Problem.invalid("format", "format: must be csv or json") }
            if let webhook {   // a missing or foreign webhook is a 404 before any byte is sent
                _ = try await run(context) { c, who in try WebhookAdmin(context: c, principal: who).get(webhook) }
            }
            return try streamedExport(who: try context.who(), from: from, to: to, webhookID: webhook, tenant: tenant, format: format,
                                  logger: context.logger)
        }
    }
}

extension APIServer {
    /// Attempts as CSV or JSON, read through a database cursor on a pool thread and written as
    /// they come, with at most a few chunks in memory; a client that goes away stops the query.
    func streamedExport(who: Principal, from: String, to: String, webhookID: String?, tenant: String?,
                        format: DeliveryQueries.ExportFormat, logger: Logger) throws -> Response {
        // One export at a time per tenant, on the slow lane: a slow reader holds a thread of its
        // own, never one of the threads every other request needs.
        let key = who.tenant ?? "*"
        guard exports.insert(key) else {
            var problem = Problem(.tooManyRequests, "an export of this tenant is already running; retry when it is done")
            problem.headers[.retryAfter] = "10"
            throw problem
        }
        let pipe = ChunkPipe()
        let pool = self.slowPool
        let exports = self.exports
        Task {
            defer { exports.remove(key) }
            do {
                try await pool.run { c in
                    try DeliveryQueries(context: c, principal: who).exportAttempts(from: from, to: to, webhookID: webhookID, tenant: tenant,
                                                                                   format: format) { try pipe.send($0) }
                }
                pipe.finish(nil)
            } catch {
                logger.warning("export stopped", metadata: ["error": "\(error)"])
                pipe.finish(error)
            }
        }
        let type = format == .csv ? "text/csv; charset=utf-8" : "application/json"
        let filename = "herald-attempts-\(from.prefix(10))-\(to.prefix(10)).\(format.rawValue)"
        return Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(filename)\""],
                        body: ResponseBody { writer in
                            defer { pipe.cancel() }
                            for try await chunk in pipe.stream {
                                try await writer.write(ByteBuffer(bytes: chunk))
                                pipe.consumed()
                            }
                            try await writer.finish(nil)
                        })
    }
}

struct Recovered: Encodable {
    var dryRun: Bool
    var count: Int
    var ids: [String]
    enum CodingKeys: String, CodingKey { case dryRun = "dry_run", count, ids }
}

struct Listed<T: Encodable>: Encodable { var data: [T] }

/// Chunks from a blocking producer (a pool thread) to an async consumer (the response writer),
/// with back-pressure: the producer waits while `depth` chunks are unread, and fails once the
/// consumer has gone.
final class ChunkPipe: Sendable {
    struct Gone: Error {}
    let stream: AsyncThrowingStream<[UInt8], any Error>
    private let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
    private let room: DispatchSemaphore
    private let cancelled = Atomic<Bool>(false)

    /// A reader that takes no chunk for this long is dropped (its export stops).
    static let idleLimit: Duration = .seconds(60)

    init(depth: Int = 4) {
        (stream, continuation) = AsyncThrowingStream.makeStream(of: [UInt8].self)
        // Created at 0 and raised: libdispatch traps when a semaphore is freed below its initial
        // value, which happens when a client leaves with chunks unread.
        room = DispatchSemaphore(value: 0)
        for _ in 0..<depth { room.signal() }
    }

    /// Blocks until there is room; throws when the consumer is gone or reads nothing for a minute.
    func send(_ chunk: [UInt8]) throws {
        let deadline = ContinuousClock.now + ChunkPipe.idleLimit
        while room.wait(timeout: .now() + 1) == .timedOut {
            if cancelled.load(ordering: .acquiring) || ContinuousClock.now > deadline { throw Gone() }
        }
        if cancelled.load(ordering: .acquiring) { throw Gone() }
        continuation.yield(chunk)
    }

    func finish(_ error: (any Error)?) { continuation.finish(throwing: error) }

    /// The consumer wrote a chunk: room for one more.
    func consumed() { room.signal() }

    /// The consumer stopped (done, or the client went away).
    func cancel() {
        cancelled.store(true, ordering: .releasing)
        room.signal()
    }
}
