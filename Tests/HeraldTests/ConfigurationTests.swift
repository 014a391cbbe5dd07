import Foundation
@testable import Herald
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("no master key: refused outside development mode, loud inside it; the producer needs none")
    func masterKeyRequired() throws {
        #expect { try HeraldConfiguration(environment: [:], component: "worker") } throws: {
            ($0 as? ConfigurationError)?.variable == "HERALD_MASTER_KEY" && "\($0)".contains("openssl rand -base64 32")
        }
        let development = try HeraldConfiguration(environment: ["HERALD_DEVELOPMENT": "true"], component: "worker")
        #expect(development.warnings.contains { $0.contains("PUBLIC development key") })
        let producer = try HeraldConfiguration(environment: [:], component: "producer")
        #expect(producer.warnings.isEmpty)
        let real = try HeraldConfiguration(environment: ["HERALD_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="], component: "router")
        #expect(real.masterKey.count == 32 && real.warnings.isEmpty)
        // The key docker-compose.yml shipped with: 33 bytes once decoded.
        #expect(throws: ConfigurationError.self) {
            try HeraldConfiguration(environment: ["HERALD_MASTER_KEY": "aGVyYWxkLWRvY2tlci1rZXktY2hhbmdlLW1lLXBsZWFz"], component: "router")
        }
    }
}

@Suite("Embedded migrations")
struct EmbeddedMigrationTests {
    @Test("heraldctl carries exactly schemas/migrations (run deploy/embed_migrations.py after changing one)")
    func embeddedMatchesFiles() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas/migrations").path
        let files = try Migrator.load(directory: folder)
        #expect(files.map(\.name) == Migrator.embedded.map(\.name))
        for (file, embedded) in zip(files, Migrator.embedded) {
            #expect(file.sql == embedded.sql, "\(file.name) differs from the built-in copy: run deploy/embed_migrations.py")
        }
    }
}
