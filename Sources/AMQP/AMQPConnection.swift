internal import CHeraldAMQPShims
internal import CRabbitMQ
import Synchronization
import Foundation

/// One AMQP 0-9-1 connection over librabbitmq: channel 1 for everything, plus consuming channels a
/// caller opens for queues it wants to hand back on its own (`openChannel`). Blocking and not thread-safe: it
/// lives on one thread. Frames are read and dispatched here — deliveries into a FIFO, publisher
/// confirms into a tracker, returns into a list — so consuming and confirmed publishing share one
/// connection without losing each other's frames.
public final class AMQPConnection {
    private var state: amqp_connection_state_t?
    private let channel: amqp_channel_t = 1
    /// Channel 1 and the consuming channels opened since; a delivery on any other (one closed a
    /// moment ago, its messages already back in their queue) is read and dropped.
    private var openChannels: Set<amqp_channel_t> = [1]
    private var broken: AMQPError?
    private var confirms = false
    private var nextSequence: UInt64 = 1
    private var tracker = ConfirmTracker()
    private var buffered: [AMQPDelivery] = []
    private var bufferedHead = 0
    private var returns: [AMQPReturn] = []
    public let configuration: AMQPConfiguration

    /// Connects to the first node of a cluster that answers: `urls` is one AMQP URL or several,
    /// comma-separated. The first call starts at a random node; successive calls start from the next
    /// one, so reconnecting processes spread over the nodes and skip the one that just failed.
    public static func connect(anyOf urls: String, connectionName: String) throws(AMQPError) -> AMQPConnection {
        let list = urls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw AMQPError(code: .invalidURL, message: "no AMQP URL given") }
        let start = nextNode.add(1, ordering: .relaxed).oldValue
        var failures: [String] = []
        for offset in 0..<list.count {
            let url = list[(start + offset) % list.count]
            do {
                return try AMQPConnection(AMQPConfiguration(url: url, connectionName: connectionName))
            } catch where error.code == .invalidURL {
                throw error
            } catch {
                failures.append("\(AMQPConnection.hostPart(url)): \(error.message)")
            }
        }
        throw AMQPError(code: .connectionFailed, message: list.count == 1 ? (failures.first ?? "") : "no node answered (\(failures.joined(separator: "; ")))")
    }

    /// Where this process starts in the list: random, so that many processes given the same list
    /// spread their connections over the nodes instead of all opening them on the first.
    private static let nextNode = Atomic<Int>(Int.random(in: 0..<1024))

    /// host:port of a URL, without credentials, for messages.
    static func hostPart(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        return String(url[url.index(after: at)...].prefix { $0 != "/" && $0 != "?" })
    }

    public init(_ configuration: AMQPConfiguration) throws(AMQPError) {
        self.configuration = configuration
        guard let state = amqp_new_connection() else {
            throw AMQPError(code: .connectionFailed, message: "librabbitmq could not allocate a connection")
        }
        self.state = state
        guard let socket = configuration.tls == nil ? amqp_tcp_socket_new(state) : amqp_ssl_socket_new(state) else {
            close()
            throw AMQPError(code: .connectionFailed, message: "librabbitmq could not create a socket")
        }
        if let tls = configuration.tls {
            if let ca = tls.caCertificateFile, amqp_ssl_socket_set_cacert(socket, ca) != AMQP_STATUS_OK.rawValue {
                close()
                throw AMQPError(code: .connectionFailed, message: "cannot read the CA certificate \(ca)")
            }
            if let cert = tls.certificateFile, let key = tls.keyFile, amqp_ssl_socket_set_key(socket, cert, key) != AMQP_STATUS_OK.rawValue {
                close()
                throw AMQPError(code: .connectionFailed, message: "cannot read the client certificate \(cert) or its key \(key)")
            }
            amqp_ssl_socket_set_verify_peer(socket, tls.verify ? 1 : 0)
            amqp_ssl_socket_set_verify_hostname(socket, tls.verify ? 1 : 0)
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        let opened = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &timeout)
        guard opened == AMQP_STATUS_OK.rawValue else {
            let reason = String(cString: amqp_error_string2(opened))
            close()
            throw AMQPError(code: .connectionFailed, message: "cannot connect to \(configuration.host):\(configuration.port): \(reason)")
        }
        let login = withClientProperties(name: configuration.connectionName) { properties in
            herald_amqp_login_plain(state, configuration.vhost, 0, Int32(configuration.frameMax), Int32(configuration.heartbeat),
                                    properties, configuration.user, configuration.password)
        }
        if login.reply_type != AMQP_RESPONSE_NORMAL {
            let error = AMQPConnection.error(from: login, context: "login to vhost \(configuration.vhost) as \(configuration.user)")
            close()
            if error.replyCode == 403 || login.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && login.library_error == AMQP_STATUS_CONNECTION_CLOSED.rawValue {
                throw AMQPError(code: .authenticationFailed, replyCode: error.replyCode,
                                message: "login refused for user \(configuration.user) on vhost \(configuration.vhost): \(error.message)")
            }
            throw error
        }
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "channel.open")
    }

    /// Connects, retrying with capped exponential backoff until `retryingFor` has passed.
    public static func connect(_ configuration: AMQPConfiguration, retryingFor: Duration) throws(AMQPError) -> AMQPConnection {
        let deadline = ContinuousClock.now + retryingFor
        var delay = Duration.milliseconds(100)
        while true {
            do { return try AMQPConnection(configuration) } catch {
                if error.code == .invalidURL || ContinuousClock.now + delay > deadline { throw error }
                Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    deinit { close() }

    /// Closes politely when the connection is healthy; always frees it.
    public func close() {
        guard let state else { return }
        if broken == nil {
            _ = amqp_channel_close(state, channel, Int32(AMQP_REPLY_SUCCESS))
            _ = amqp_connection_close(state, Int32(AMQP_REPLY_SUCCESS))
        }
        amqp_destroy_connection(state)
        self.state = nil
        broken = broken ?? AMQPError(code: .notConnected, message: "the connection is closed")
    }

    private func live() throws(AMQPError) -> amqp_connection_state_t {
        if let broken { throw broken }
        guard let state else { throw AMQPError(code: .notConnected, message: "the connection is closed") }
        return state
    }

    // MARK: topology

    public func declareExchange(_ name: String, type: String = "topic", durable: Bool = true, arguments: AMQPTable = [:]) throws(AMQPError) {
        let state = try live()
        let reply = withTable(arguments) { table in
            name.withAMQPBytes { n in
                type.withAMQPBytes { t in
                    _ = amqp_exchange_declare(state, channel, n, t, 0, durable ? 1 : 0, 0, 0, table)
                    return amqp_get_rpc_reply(state)
                }
            }
        }
        try check(reply, "exchange.declare \(name)")
    }

    @discardableResult
    public func declareQueue(_ name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
                             arguments: AMQPTable = [:]) throws(AMQPError) -> (messageCount: UInt32, consumerCount: UInt32) {
        let state = try live()
        var counts: (UInt32, UInt32) = (0, 0)
        let reply = withTable(arguments) { table in
            name.withAMQPBytes { n in
                if let ok = amqp_queue_declare(state, channel, n, 0, durable ? 1 : 0, exclusive ? 1 : 0, autoDelete ? 1 : 0, table) {
                    counts = (ok.pointee.message_count, ok.pointee.consumer_count)
                }
                return amqp_get_rpc_reply(state)
            }
        }
        try check(reply, "queue.declare \(name)")
        return counts
    }

    /// Messages ready in an existing queue (a passive declare: its arguments are not compared).
    public func messageCount(queue name: String) throws(AMQPError) -> UInt32 {
        try counts(queue: name).messages
    }

    /// Messages ready in an existing queue and its consumers (a passive declare).
    public func counts(queue name: String) throws(AMQPError) -> (messages: UInt32, consumers: UInt32) {
        let state = try live()
        var counts: (UInt32, UInt32) = (0, 0)
        let reply = name.withAMQPBytes { n in
            if let ok = amqp_queue_declare(state, channel, n, 1, 0, 0, 0, amqp_empty_table) { counts = (ok.pointee.message_count, ok.pointee.consumer_count) }
            return amqp_get_rpc_reply(state)
        }
        try check(reply, "queue.declare (passive) \(name)")
        return counts
    }

    public func bindQueue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) throws(AMQPError) {
        let state = try live()
        let reply = withTable(arguments) { table in
            queue.withAMQPBytes { q in
                exchange.withAMQPBytes { e in
                    routingKey.withAMQPBytes { k in
                        _ = amqp_queue_bind(state, channel, q, e, k, table)
                        return amqp_get_rpc_reply(state)
                    }
                }
            }
        }
        try check(reply, "queue.bind \(queue) to \(exchange) (\(routingKey))")
    }

    /// Routes what `source` routes (matching `routingKey`) on to the exchange `destination`.
    public func bindExchange(_ destination: String, to source: String, routingKey: String, arguments: AMQPTable = [:]) throws(AMQPError) {
        let state = try live()
        let reply = withTable(arguments) { table in
            destination.withAMQPBytes { d in
                source.withAMQPBytes { s in
                    routingKey.withAMQPBytes { k in
                        _ = amqp_exchange_bind(state, channel, d, s, k, table)
                        return amqp_get_rpc_reply(state)
                    }
                }
            }
        }
        try check(reply, "exchange.bind \(destination) to \(source) (\(routingKey))")
    }

    public func unbindQueue(_ queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) throws(AMQPError) {
        let state = try live()
        let reply = withTable(arguments) { table in
            queue.withAMQPBytes { q in
                exchange.withAMQPBytes { e in
                    routingKey.withAMQPBytes { k in
                        _ = amqp_queue_unbind(state, channel, q, e, k, table)
                        return amqp_get_rpc_reply(state)
                    }
                }
            }
        }
        try check(reply, "queue.unbind \(queue) from \(exchange) (\(routingKey))")
    }

    public func deleteQueue(_ name: String) throws(AMQPError) {
        let state = try live()
        let reply = name.withAMQPBytes { n in
            _ = amqp_queue_delete(state, channel, n, 0, 0)
            return amqp_get_rpc_reply(state)
        }
        try check(reply, "queue.delete \(name)")
    }

    public func deleteExchange(_ name: String) throws(AMQPError) {
        let state = try live()
        let reply = name.withAMQPBytes { n in
            _ = amqp_exchange_delete(state, channel, n, 0)
            return amqp_get_rpc_reply(state)
        }
        try check(reply, "exchange.delete \(name)")
    }

    @discardableResult
    public func purgeQueue(_ name: String) throws(AMQPError) -> UInt32 {
        let state = try live()
        var count: UInt32 = 0
        let reply = name.withAMQPBytes { n in
            if let ok = amqp_queue_purge(state, channel, n) { count = ok.pointee.message_count }
            return amqp_get_rpc_reply(state)
        }
        try check(reply, "queue.purge \(name)")
        return count
    }

    public func setPrefetch(_ count: UInt16, channel: UInt16 = 1) throws(AMQPError) {
        let state = try live()
        _ = amqp_basic_qos(state, channel, 0, count, 0)
        try check(amqp_get_rpc_reply(state), "basic.qos")
    }

    /// Opens a consuming channel (id 2…2047) with its own prefetch. Its consumers and acks name it.
    public func openChannel(_ id: UInt16, prefetch: UInt16) throws(AMQPError) {
        let state = try live()
        guard id > 1 else { throw AMQPError(code: .protocolError, message: "channel \(id): 1 is the connection's own") }
        amqp_channel_open(state, id)
        try check(amqp_get_rpc_reply(state), "channel.open \(id)")
        openChannels.insert(id)
        try setPrefetch(prefetch, channel: id)
    }

    /// Closes a consuming channel: the broker puts every message it holds unacknowledged back in
    /// its queue and removes its consumers in one step (a single-active-consumer queue then turns
    /// to its next consumer, with the order kept). Deliveries of it still on the way are dropped.
    public func closeChannel(_ id: UInt16) throws(AMQPError) {
        let state = try live()
        guard id > 1, openChannels.remove(id) != nil else { return }
        let reply = amqp_channel_close(state, id, Int32(AMQP_REPLY_SUCCESS))
        try check(reply, "channel.close \(id)")
        buffered = buffered[bufferedHead...].filter { $0.channel != id }
        bufferedHead = 0
        try poll(timeout: .zero)   // what arrived for it meanwhile is read and dropped now
    }

    // MARK: publishing

    /// Turns on publisher confirms (confirm.select). From now on every publish gets a sequence number.
    public func enableConfirms() throws(AMQPError) {
        guard !confirms else { return }
        let state = try live()
        _ = amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
        confirms = true
    }

    /// Sends one message without waiting for the broker; returns its confirm sequence number (0 without confirms).
    @discardableResult
    public func publish(_ message: AMQPMessage) throws(AMQPError) -> UInt64 {
        let state = try live()
        let status = withProperties(message.properties) { properties in
            message.exchange.withAMQPBytes { e in
                message.routingKey.withAMQPBytes { k in
                    message.body.withUnsafeBytes { raw in
                        let body = amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress))
                        return amqp_basic_publish(state, channel, e, k, message.mandatory ? 1 : 0, 0, properties, body)
                    }
                }
            }
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(AMQPError(code: .socketError, message: "publish to \(message.exchange) failed: \(String(cString: amqp_error_string2(status)))"))
        }
        guard confirms else { return 0 }
        let sequence = nextSequence
        nextSequence += 1
        tracker.published(sequence)
        return sequence
    }

    public var unconfirmedCount: Int { tracker.count }

    /// Reads frames until every publish so far is confirmed. Throws `.publishNacked` when the
    /// broker refused any (they were not stored: publish them again).
    public func waitForConfirms(timeout: Duration) throws(AMQPError) {
        let deadline = ContinuousClock.now + timeout
        while tracker.count > 0 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw AMQPError(code: .timeout, message: "\(tracker.count) publishes unconfirmed after \(timeout)") }
            _ = try readFrame(timeout: left)
        }
        if tracker.nacked > 0 {
            let n = tracker.nacked
            tracker.resetNacked()
            throw AMQPError(code: .publishNacked, message: "the broker refused \(n) published message(s)")
        }
    }

    /// Publishes all, at most `window` unconfirmed at a time, and waits for the rest. Returns the
    /// mandatory messages the broker could not route.
    public func publishConfirmed(_ messages: [AMQPMessage], window: Int = 2048, timeout: Duration = .seconds(30)) throws(AMQPError) -> [AMQPReturn] {
        try enableConfirms()
        let deadline = ContinuousClock.now + timeout
        for message in messages {
            while tracker.count >= window {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { throw AMQPError(code: .timeout, message: "\(tracker.count) publishes unconfirmed after \(timeout)") }
                _ = try readFrame(timeout: left)
            }
            try publish(message)
        }
        try waitForConfirms(timeout: max(deadline - ContinuousClock.now, .milliseconds(1)))
        return takeReturns()
    }

    public func takeReturns() -> [AMQPReturn] {
        defer { returns.removeAll() }
        return returns
    }

    // MARK: consuming

    @discardableResult
    public func consume(queue: String, consumerTag: String = "", exclusive: Bool = false, channel: UInt16 = 1) throws(AMQPError) -> String {
        let state = try live()
        var tag = consumerTag
        let reply = queue.withAMQPBytes { q in
            consumerTag.withAMQPBytes { t in
                if let ok = amqp_basic_consume(state, channel, q, t, 0, 0, exclusive ? 1 : 0, amqp_empty_table) {
                    tag = ok.pointee.consumer_tag.string
                }
                return amqp_get_rpc_reply(state)
            }
        }
        try check(reply, "basic.consume \(queue)")
        return tag
    }

    public func cancel(consumerTag: String) throws(AMQPError) {
        let state = try live()
        let reply = consumerTag.withAMQPBytes { t in
            _ = amqp_basic_cancel(state, channel, t)
            return amqp_get_rpc_reply(state)
        }
        try check(reply, "basic.cancel")
    }

    /// The next delivery, waiting up to `timeout`; nil on timeout.
    public func nextDelivery(timeout: Duration) throws(AMQPError) -> AMQPDelivery? {
        let deadline = ContinuousClock.now + timeout
        if bufferedHead == buffered.count { try poll(timeout: .zero) }
        while bufferedHead == buffered.count {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            if try !readFrame(timeout: left) { return nil }
        }
        return takeBuffered(max: 1).first
    }

    /// Waits up to `timeout` for one delivery, then returns every delivery already received, up to `max`.
    public func deliveries(max: Int, timeout: Duration) throws(AMQPError) -> [AMQPDelivery] {
        guard max > 0 else { try poll(timeout: .zero); return [] }
        if bufferedHead == buffered.count {
            let deadline = ContinuousClock.now + timeout
            while bufferedHead == buffered.count {
                let left = deadline - ContinuousClock.now
                if left <= .zero { try poll(timeout: .zero); break }
                if try !readFrame(timeout: left) { break }
            }
        }
        try poll(timeout: .zero)
        return takeBuffered(max: max)
    }

    private func takeBuffered(max: Int) -> [AMQPDelivery] {
        let n = min(max, buffered.count - bufferedHead)
        let result = Array(buffered[bufferedHead..<(bufferedHead + n)])
        bufferedHead += n
        if bufferedHead == buffered.count {
            buffered.removeAll(keepingCapacity: true)
            bufferedHead = 0
        }
        return result
    }

    public func ack(_ deliveryTag: UInt64, multiple: Bool = false, channel: UInt16 = 1) throws(AMQPError) {
        let state = try live()
        let status = amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw fail(AMQPError(code: .socketError, message: "ack failed: \(String(cString: amqp_error_string2(status)))")) }
    }

    public func nack(_ deliveryTag: UInt64, multiple: Bool = false, requeue: Bool = true, channel: UInt16 = 1) throws(AMQPError) {
        let state = try live()
        let status = amqp_basic_nack(state, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw fail(AMQPError(code: .socketError, message: "nack failed: \(String(cString: amqp_error_string2(status)))")) }
    }

    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws(AMQPError) {
        let state = try live()
        let status = amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else { throw fail(AMQPError(code: .socketError, message: "reject failed: \(String(cString: amqp_error_string2(status)))")) }
    }

    // MARK: event loop

    public var socketDescriptor: Int32 { state.map { amqp_get_sockfd($0) } ?? -1 }

    /// librabbitmq already holds unread data or frames: a poll() on the socket would not see them.
    public var hasBufferedInput: Bool {
        guard let state else { return false }
        return amqp_data_in_buffer(state) != 0 || amqp_frames_enqueued(state) != 0 || bufferedHead < buffered.count
    }

    /// Reads and dispatches the frames that arrive within `timeout` (zero: only those already here).
    public func poll(timeout: Duration) throws(AMQPError) {
        var first = true
        while true {
            let wait: Duration = first ? timeout : .zero
            first = false
            if try !readFrame(timeout: wait) { break }
        }
        if let state { amqp_maybe_release_buffers(state) }
    }

    /// Reads one frame; false on timeout.
    private func readFrame(timeout: Duration) throws(AMQPError) -> Bool {
        let state = try live()
        var frame = amqp_frame_t()
        let (seconds, attos) = max(timeout, .zero).components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(attos / 1_000_000_000_000))
        let status = amqp_simple_wait_frame_noblock(state, &frame, &tv)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return false }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(AMQPError(code: .socketError, message: "connection lost: \(String(cString: amqp_error_string2(status)))"))
        }
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return true }
        let method = frame.payload.method
        switch method.id {
        case AMQP_BASIC_DELIVER_METHOD:
            guard let deliver = method.decoded?.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee else { return true }
            let (body, properties) = try readContent(frame.channel)
            guard openChannels.contains(frame.channel) else { return true }
            buffered.append(AMQPDelivery(deliveryTag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                                         exchange: deliver.exchange.string, routingKey: deliver.routing_key.string,
                                         body: body, properties: properties, channel: frame.channel))
        case AMQP_BASIC_ACK_METHOD:
            if let ack = method.decoded?.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee {
                tracker.ack(ack.delivery_tag, multiple: ack.multiple != 0)
            }
        case AMQP_BASIC_NACK_METHOD:
            if let nack = method.decoded?.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee {
                tracker.nack(nack.delivery_tag, multiple: nack.multiple != 0)
            }
        case AMQP_BASIC_RETURN_METHOD:
            guard let ret = method.decoded?.assumingMemoryBound(to: amqp_basic_return_t.self).pointee else { return true }
            let (body, properties) = try readContent(frame.channel)
            returns.append(AMQPReturn(replyCode: Int(ret.reply_code), replyText: ret.reply_text.string, exchange: ret.exchange.string,
                                      routingKey: ret.routing_key.string, body: body, properties: properties))
        case AMQP_CHANNEL_CLOSE_METHOD:
            let close = method.decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            var ok = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok)
            throw fail(AMQPError(code: .channelClosed, replyCode: close.map { Int($0.reply_code) },
                                 message: "the broker closed the channel: \(close?.reply_text.string ?? "")"))
        case AMQP_CONNECTION_CLOSE_METHOD:
            let close = method.decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var ok = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
            throw fail(AMQPError(code: .connectionClosed, replyCode: close.map { Int($0.reply_code) },
                                 message: "the broker closed the connection: \(close?.reply_text.string ?? "")"))
        case AMQP_BASIC_CANCEL_METHOD:
            throw fail(AMQPError(code: .channelClosed, message: "the broker cancelled our consumer (queue deleted?)"))
        default:
            break
        }
        return true
    }

    private func readContent(_ frameChannel: amqp_channel_t) throws(AMQPError) -> ([UInt8], AMQPProperties) {
        let state = try live()
        var message = amqp_message_t()
        let reply = amqp_read_message(state, frameChannel, &message, 0)
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            throw fail(AMQPConnection.error(from: reply, context: "reading message content"))
        }
        defer { amqp_destroy_message(&message) }
        let body: [UInt8]
        if message.body.len > 0, let bytes = message.body.bytes {
            body = Array(UnsafeRawBufferPointer(start: bytes, count: message.body.len))
        } else {
            body = []
        }
        return (body, AMQPProperties(message.properties))
    }

    // MARK: errors

    private func fail(_ error: AMQPError) -> AMQPError {
        if error.isConnectionLost { broken = error }
        return error
    }

    private func check(_ reply: amqp_rpc_reply_t, _ context: String) throws(AMQPError) {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        let error = AMQPConnection.error(from: reply, context: context)
        // Any server exception closes our only channel: the connection must be replaced.
        broken = AMQPError(code: error.code == .timeout ? .socketError : (error.code == .protocolError ? .socketError : error.code),
                           replyCode: error.replyCode, message: error.message)
        if reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION, let state {
            if reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD {
                var ok = amqp_channel_close_ok_t(dummy: 0)
                _ = amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok)
            } else if reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD {
                var ok = amqp_connection_close_ok_t(dummy: 0)
                _ = amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok)
            }
        }
        throw error
    }

    static func error(from reply: amqp_rpc_reply_t, context: String) -> AMQPError {
        switch reply.reply_type {
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            let text = String(cString: amqp_error_string2(reply.library_error))
            let code: AMQPError.Code = reply.library_error == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .socketError
            return AMQPError(code: code, message: "\(context): \(text)")
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            if reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD, let close = reply.reply.decoded?.assumingMemoryBound(to: amqp_channel_close_t.self).pointee {
                return AMQPError(code: .channelClosed, replyCode: Int(close.reply_code), message: "\(context): \(close.reply_text.string)")
            }
            if reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD, let close = reply.reply.decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee {
                return AMQPError(code: .connectionClosed, replyCode: Int(close.reply_code), message: "\(context): \(close.reply_text.string)")
            }
            return AMQPError(code: .protocolError, message: "\(context): unexpected server method \(reply.reply.id)")
        default:
            return AMQPError(code: .protocolError, message: "\(context): no reply")
        }
    }
}
