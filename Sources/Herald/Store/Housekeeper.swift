import HeraldCore
import Logging
import PostgresClient

/// The worker's housekeeping: a retention pass (`RetentionStore`) now and then — days ahead created,
/// days past the window dropped, the sweeps. Every worker runs one; an advisory lock lets one pass
/// run at a time across the installation, and the others skip.
public struct Housekeeper: HeraldService {
    public let name = "housekeeper"
    let base: HeraldConfiguration
    let interval: Duration
    let logger: Logger

    /// The advisory lock key of a retention pass.
    static let lockKey: Int64 = 0x6865_7261_6c64   // "herald"

    public init(base: HeraldConfiguration, interval: Duration = .seconds(3600), logger: Logger) {
        self.base = base
        self.interval = interval
        self.logger = logger
    }

    public func run(stop: StopSignal) throws {
        stop.sleep(.seconds(Int64.random(in: 5...30)))   // not every worker at the same moment after a deploy
        while !stop.isStopped {
            do {
                let connection = try PostgresConnection(base.databaseURL)
                defer { connection.close() }
                if let report = try Housekeeper.pass(connection, base: base) {
                    if !report.dropped.isEmpty || !report.created.isEmpty || report.swept > 0 {
                        logger.info("retention pass", metadata: ["created": "\(report.created)", "dropped": "\(report.dropped)",
                                                                 "swept_rows": "\(report.swept)", "keep_days": "\(report.keepDays)"])
                    }
                    for kept in report.kept {
                        logger.warning("partition past retention kept", metadata: ["partition": "\(kept.partition)", "reason": "\(kept.reason)"])
                    }
                }
            } catch {
                logger.error("retention pass failed; tried again at the next one", metadata: ["error": "\(error)"])
            }
            stop.sleep(interval)
        }
    }

    /// One pass under the advisory lock; nil when another process holds it.
    public static func pass(_ connection: PostgresConnection, base: HeraldConfiguration, dryRun: Bool = false) throws -> RetentionStore.Report? {
        guard try connection.query("SELECT pg_try_advisory_lock($1)", [lockKey]).first?[0].text == "t" else { return nil }
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [lockKey]) }
        return try RetentionStore(connection: connection).run(defaultDays: base.retentionDays, aheadDays: base.partitionsAheadDays,
                                                               dryRun: dryRun)
    }
}
