import Foundation
import PostgresClient

/// Applies `schemas/migrations/NNNN_name.sql` in order, each in its own transaction, recording the
/// version in `herald_schema_migrations`. Idempotent, and safe when several processes migrate at
/// once (an advisory lock serialises them).
public struct Migrator {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    public struct MigrationError: Error, CustomStringConvertible {
        public var description: String
    }

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public static func load(directory: String) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
        var result: [Migration] = []
        for file in files {
            guard let underscore = file.firstIndex(of: "_"), let version = Int(file[..<underscore]) else {
                throw MigrationError(description: "\(directory)/\(file): migration files are named NNNN_name.sql")
            }
            let sql = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            result.append(Migration(version: version, name: String(file.dropLast(4)), sql: sql))
        }
        let versions = result.map(\.version)
        guard Set(versions).count == versions.count else { throw MigrationError(description: "\(directory): two migrations share a version number") }
        return result
    }

    /// Applies what is missing; returns the names applied now.
    public func migrate(_ migrations: [Migration]) throws -> [String] {
        try connection.simpleQuery("""
            CREATE TABLE IF NOT EXISTS herald_schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """)
        try connection.query("SELECT pg_advisory_lock(727274)")
        defer { _ = try? connection.query("SELECT pg_advisory_unlock(727274)") }
        let applied = Set(try connection.query("SELECT version FROM herald_schema_migrations").compactMap { $0[0].text.flatMap(Int.init) })
        var done: [String] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
            do {
                try connection.transaction { c in
                    try c.simpleQuery(migration.sql)
                    try c.execute("INSERT INTO herald_schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name])
                }
            } catch {
                throw MigrationError(description: "migration \(migration.name) failed and was rolled back: \(error)")
            }
            done.append(migration.name)
        }
        return done
    }

    public func currentVersion() throws -> Int? {
        let rows = try connection.query("SELECT max(version) FROM herald_schema_migrations")
        return rows.first?[0].text.flatMap(Int.init)
    }
}
