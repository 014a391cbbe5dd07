import HeraldCore
import Foundation
import Logging
import Synchronization

/// swift-log set-up for every executable: text for people, JSON lines for machines, on stderr.
public enum HeraldLogging {
    private static let bootstrapped = Mutex(false)

    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        let first = bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in
            var handler = HeraldLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
    }
}

/// Text lines for people or JSON lines for machines, on stderr; metadata merged once for both.
struct HeraldLogHandler: LogHandler {
    let label: String
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let sorted = merged.sorted { $0.key < $1.key }
        let time = Timestamp.nowISO8601()
        var bytes: [UInt8]
        switch format {
        case .text:
            var line = "\(time) \(event.level.rawValue.uppercased()) \(label): \(event.message)"
            if !sorted.isEmpty { line += " " + sorted.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
            bytes = Array(line.utf8)
        case .json:
            var object = JSONObject([("time", .string(time)), ("level", .string(event.level.rawValue)),
                                     ("logger", .string(label)), ("message", .string(event.message.description))])
            for (key, value) in sorted { object[key] = .string(value.description) }
            bytes = []
            JSONValue.object(object).write(to: &bytes)
        }
        bytes.append(10)
        FileHandle.standardError.write(Data(bytes))
    }
}
