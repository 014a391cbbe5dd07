import Herald
import HTTPTypes
import Hummingbird

/// Per request: Hummingbird's core storage and, after authentication, who asks.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }

    /// The authenticated principal (the auth middleware runs before every /api/v1 route).
    func who() throws(Problem) -> Principal {
        guard let principal else { throw Problem(.unauthorized, "no API token: send Authorization: Bearer hrld_…") }
        return principal
    }
}
