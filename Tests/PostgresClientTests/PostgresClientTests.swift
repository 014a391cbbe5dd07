import Foundation
import PostgresClient
import Testing

let databaseURL = ProcessInfo.processInfo.environment["HERALD_TEST_DATABASE_URL"] ?? "postgres://herald:herald@127.0.0.1:5432/herald"

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A connection whose search_path is a fresh schema, dropped when the test ends.
final class Scratch {
    let connection: PostgresConnection
    let schema = "pgtest_\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        do { connection = try PostgresConnection(databaseURL) } catch {
            throw TestFailure("PostgreSQL is not reachable at \(databaseURL) (\(error)); start it with deploy/services.sh up")
        }
        try connection.simpleQuery("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
    }

    deinit {
        _ = try? connection.simpleQuery("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        connection.close()
    }
}

@Suite("PostgreSQL")
struct PostgresClientTests {
    @Test("connects by URL and by conninfo; failures say why and never show the password")
    func connecting() throws {
        _ = try PostgresConnection(databaseURL)
        _ = try PostgresConnection("host=127.0.0.1 port=5432 dbname=herald user=herald password=herald")
        #expect { try PostgresConnection("postgres://herald:sup3rsecret@127.0.0.1:5432/herald") } throws: { error in
            (error as? PostgresError)?.code == .connectionFailed && !"\(error)".contains("sup3rsecret") && "\(error)".contains("password")
        }
        #expect { try PostgresConnection("postgres://herald:herald@127.0.0.1:5432/herald_missing_db") } throws: { error in
            (error as? PostgresError)?.code == .connectionFailed && "\(error)".contains("herald_missing_db")
        }
        #expect { try PostgresConnection("postgres://herald:herald@127.0.0.1:1/herald") } throws: { ($0 as? PostgresError)?.code == .connectionFailed }
    }

    @Test("values round-trip through parameters")
    func roundTrip() throws {
        let s = try Scratch()
        let c = s.connection
        let bytes = (0...255).map(UInt8.init)
        let row = try #require(try c.query("""
            SELECT $1::text, $2::text, $3::bigint, $4::float8, $5::bool, $6::bytea, $7::text[], $8::bigint[], $9::timestamptz, $10::text
            """, ["Zoë 🚀 \"quoted\" \\ back", "", Int64.max, 1.25, true, bytes, ["a", "b,c", "d\"e", "f\\g", ""], [Int64.min, 0, 42],
                  "2026-01-22T15:30:00.123+02:00", nil as String?]).first)
        #expect(try row[0].decode(String.self) == "Zoë 🚀 \"quoted\" \\ back")
        #expect(try row[1].decode(String.self) == "")
        #expect(!row[1].isNull)
        #expect(try row[2].decode(Int64.self) == Int64.max)
        #expect(try row[3].decode(Double.self) == 1.25)
        #expect(try row[4].decode(Bool.self) == true)
        #expect(try row[5].decode([UInt8].self) == bytes)
        #expect(try row[6].decode([String].self) == ["a", "b,c", "d\"e", "f\\g", ""])
        #expect(try row[7].decode([Int64].self) == [Int64.min, 0, 42])
        #expect(try row[8].decode(Date.self).timeIntervalSince1970 == 1_769_088_600.123)
        #expect(row[9].isNull)
        #expect(try row[9].decode(String?.self) == nil)
        let withNull = try #require(try c.query("SELECT $1::text[]", [["x", nil] as [String?]]).first)
        #expect(try withNull[0].decode([String?].self) == ["x", nil])
    }

    @Test("a NUL byte in a text parameter is refused, never cut short; a pipeline with one sends nothing")
    func nulRefused() throws {
        let s = try Scratch()
        let c = s.connection
        try c.simpleQuery("CREATE TABLE ids (id text PRIMARY KEY)")
        #expect { try c.execute("INSERT INTO ids VALUES ($1)", ["x\u{0}A"]) } throws: {
            ($0 as? PostgresError)?.code == .invalidParameter && "\($0)".contains("$1")
        }
        #expect { try c.execute("INSERT INTO ids SELECT unnest($1::text[])", [["ok", "x\u{0}B"]]) } throws: {
            ($0 as? PostgresError)?.code == .invalidParameter
        }
        #expect(throws: PostgresError.self) {
            try c.pipeline([("BEGIN", []), ("INSERT INTO ids VALUES ($1)", ["first"]), ("INSERT INTO ids VALUES ($1)", ["a\u{0}b"]), ("COMMIT", [])])
        }
        #expect(c.isConnected)
        #expect(try c.query("SELECT count(*) FROM ids").first?[0].text == "0")
    }

    @Test("SQL errors keep SQLSTATE and the server's message; decode errors name the column")
    func errors() throws {
        let s = try Scratch()
        let c = s.connection
        try c.simpleQuery("CREATE TABLE t (id int PRIMARY KEY)")
        try c.execute("INSERT INTO t VALUES (1)")
        #expect { try c.execute("INSERT INTO t VALUES (1)") } throws: { error in
            let e = error as? PostgresError
            return e?.sqlState == "23505" && e?.message.contains("duplicate key") == true && e?.isConnectionLost == false
        }
        #expect { try c.query("SELEC 1") } throws: { ($0 as? PostgresError)?.sqlState == "42601" }
        let row = try #require(try c.query("SELECT 'abc' AS name").first)
        #expect { try row[0].decode(Int.self) } throws: { "\($0)".contains("name") && "\($0)".contains("Int") }
        #expect { try row["nope"].decode(String.self) } throws: { "\($0)".contains("nope") }
    }

    @Test("transactions commit and roll back")
    func transactions() throws {
        let s = try Scratch()
        let c = s.connection
        try c.simpleQuery("CREATE TABLE t (v int)")
        try c.transaction { try $0.execute("INSERT INTO t VALUES (1)") }
        #expect(throws: PostgresError.self) {
            try c.transaction { c in
                try c.execute("INSERT INTO t VALUES (2)")
                try c.execute("INSERT INTO nope VALUES (3)")
            }
        }
        #expect(try c.query("SELECT count(*) FROM t").first?[0].decode(Int.self) == 1)
    }

    @Test("batched writes: 10,000 rows by unnest arrays and by COPY, 1,000 statements in one pipeline")
    func batches() throws {
        let s = try Scratch()
        let c = s.connection
        try c.simpleQuery("CREATE TABLE t (id bigint PRIMARY KEY, name text, note text)")
        let ids = (0..<10_000).map(Int64.init)
        let names = ids.map { "name \($0)\t\n\\" }
        var start = ContinuousClock.now
        let inserted = try c.execute("INSERT INTO t SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])", [ids, names, names.map { _ in nil as String? }])
        print("unnest: 10,000 rows in \(ContinuousClock.now - start)")
        #expect(inserted == 10_000)
        start = ContinuousClock.now
        let copied = try c.copyIn("COPY t (id, name, note) FROM STDIN", rows: ids.map { [String($0 + 10_000), "copied \($0)\t\\x", nil] })
        print("COPY: 10,000 rows in \(ContinuousClock.now - start)")
        #expect(copied == 10_000)
        #expect(try c.query("SELECT name FROM t WHERE id = 10005").first?[0].decode(String.self) == "copied 5\t\\x")
        #expect(try c.query("SELECT name FROM t WHERE id = 7").first?[0].decode(String.self) == "name 7\t\n\\")
        start = ContinuousClock.now
        var statements: [(sql: String, parameters: [(any PostgresEncodable)?])] = [("BEGIN", [])]
        for i in 0..<1000 { statements.append(("UPDATE t SET note = $1 WHERE id = $2", ["p\(i)", Int64(i)])) }
        statements.append(("SELECT count(*) FROM t WHERE note IS NOT NULL", []))
        statements.append(("COMMIT", []))
        let results = try c.pipeline(statements)
        print("pipeline: 1,000 statements in \(ContinuousClock.now - start)")
        #expect(results.count == 1003)
        #expect(try results[1001].first?[0].decode(Int.self) == 1000)
        #expect { _ = try c.pipeline([("BEGIN", []), ("INSERT INTO nope VALUES (1)", []), ("COMMIT", [])]) } throws: { ($0 as? PostgresError)?.sqlState == "42P01" }
        #expect(try c.query("SELECT 1").count == 1, "the connection is usable after a failed pipeline")
    }

    @Test("prepared statements")
    func prepared() throws {
        let s = try Scratch()
        try s.connection.prepare("add", "SELECT $1::int + $2::int")
        #expect(try s.connection.queryPrepared("add", [2, 3]).first?[0].decode(Int.self) == 5)
    }

    @Test("LISTEN/NOTIFY between two connections, in order, unicode, and timeouts")
    func listenNotify() throws {
        let listener = try PostgresConnection(databaseURL)
        let sender = try PostgresConnection(databaseURL)
        let channel = "herald test \(UInt16.random(in: 0...9999))"
        try listener.listen(channel)
        #expect(try listener.notifications(timeout: .milliseconds(100)).isEmpty)
        for payload in ["one", "zwei ü", "三"] { try sender.notify(channel, payload: payload) }
        var got: [PostgresNotification] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while got.count < 3, ContinuousClock.now < deadline { got += try listener.notifications(timeout: .milliseconds(500)) }
        #expect(got.map(\.payload) == ["one", "zwei ü", "三"])
        #expect(got.allSatisfy { $0.channel == channel })
    }

    @Test("a killed backend is reported as connection lost, and reset() reconnects")
    func connectionLoss() throws {
        let c = try PostgresConnection(databaseURL)
        let pid = try #require(try c.query("SELECT pg_backend_pid()").first?[0].decode(Int.self))
        let killer = try PostgresConnection(databaseURL)
        try killer.query("SELECT pg_terminate_backend($1)", [pid])
        Thread.sleep(forTimeInterval: 0.2)
        #expect { try c.query("SELECT 1") } throws: { ($0 as? PostgresError)?.isConnectionLost == true }
        try c.reset()
        #expect(try c.query("SELECT 1").first?[0].decode(Int.self) == 1)
    }
}
