import Foundation

/// The process environment with flag overrides applied: flags win over `HERALD_*` variables.
public struct ProcessEnvironment: Sendable {
    public private(set) var values: [String: String]

    public static var current: ProcessEnvironment { ProcessEnvironment(values: ProcessInfo.processInfo.environment) }

    public init(values: [String: String]) { self.values = values }

    public mutating func set(_ name: String, _ value: String?) {
        if let value { values[name] = value }
    }
}
