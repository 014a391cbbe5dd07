/// A readable message per event type, for destinations people read (Slack, Teams, Zapier):
/// a title (`Order created`), one sentence (`New order SO-2026-04211 from Ada Lovelace: 150.00 USD`)
/// and the facts it names. Templates use them as `{event.title}`, `{event.summary}`,
/// `{event.summary_slack}` (Slack's `&`, `<`, `>` escaped, so no name can @-mention a channel) and
/// `{event.facts}` (`[{"name": "Order number", "value": "SO-…"}, …]`, Teams' message card facts).
///
/// A sentence's placeholders are paths in the event's `data`. An event that lacks one (an ERP's
/// own type, a trimmed payload) gets the plain form: `Order created: evt_…`.
public enum EventMessages {
    static let sentences: [String: String] = [
        "order.created": "New order {order.number} from {customer.name}: {order.total} {order.currency}",
        "order.updated": "Order {order.number} for {customer.name} was updated ({order.total} {order.currency})",
        "order.confirmed": "Order {order.number} for {customer.name} was confirmed ({order.total} {order.currency})",
        "order.shipped": "Order {order.number} for {customer.name} has shipped ({order.ship_method})",
        "order.delivered": "Order {order.number} was delivered to {customer.name}",
        "order.cancelled": "Order {order.number} for {customer.name} was cancelled ({order.total} {order.currency})",
        "order.completed": "Order {order.number} for {customer.name} is complete",
        "invoice.created": "Invoice {invoice.number} for {customer.name}: {invoice.total} {invoice.currency}, due {invoice.due_date}",
        "invoice.sent": "Invoice {invoice.number} was sent to {customer.name} ({invoice.total} {invoice.currency})",
        "invoice.paid": "Invoice {invoice.number} from {customer.name} is paid ({invoice.total} {invoice.currency})",
        "invoice.overdue": "Invoice {invoice.number} for {customer.name} is overdue: {invoice.amount_due} {invoice.currency} was due {invoice.due_date}",
        "invoice.voided": "Invoice {invoice.number} for {customer.name} was voided",
        "payment.received": "Payment of {payment.amount} {payment.currency} received from {customer.name} ({payment.method})",
        "payment.failed": "Payment of {payment.amount} {payment.currency} from {customer.name} failed ({payment.method})",
        "payment.refunded": "Payment of {payment.amount} {payment.currency} to {customer.name} was refunded",
        "customer.created": "New customer {customer.name} ({customer.company}, {customer.email})",
        "customer.updated": "Customer {customer.name} ({customer.company}) was updated",
        "customer.deleted": "Customer {customer.name} ({customer.company}) was deleted",
        "contact.created": "New contact {contact.name} ({contact.role}, {contact.email})",
        "contact.updated": "Contact {contact.name} ({contact.role}) was updated",
        "product.created": "New product {product.name} ({product.sku}) at {product.price} {product.currency}",
        "product.updated": "Product {product.name} ({product.sku}) was updated: {product.price} {product.currency}",
        "product.deleted": "Product {product.name} ({product.sku}) was deleted",
        "inventory.updated": "Stock of {inventory.name} ({inventory.sku}) at {inventory.warehouse}: {inventory.quantity_on_hand} on hand",
        "inventory.low_stock": "Low stock: {inventory.name} ({inventory.sku}) at {inventory.warehouse} is down to {inventory.quantity_on_hand} (reorder point {inventory.reorder_point})",
        "inventory.out_of_stock": "Out of stock: {inventory.name} ({inventory.sku}) at {inventory.warehouse}",
        "inventory.adjusted": "Stock of {inventory.name} ({inventory.sku}) at {inventory.warehouse} adjusted by {inventory.quantity_change}: {inventory.quantity_on_hand} on hand",
        "purchase_order.created": "Purchase order {purchase_order.number} to {purchase_order.supplier.name}: {purchase_order.total} {purchase_order.currency}",
        "purchase_order.approved": "Purchase order {purchase_order.number} to {purchase_order.supplier.name} was approved ({purchase_order.total} {purchase_order.currency})",
        "purchase_order.received": "Goods of purchase order {purchase_order.number} from {purchase_order.supplier.name} were received",
        "purchase_order.cancelled": "Purchase order {purchase_order.number} to {purchase_order.supplier.name} was cancelled",
        "bill.created": "Bill {bill.number} from {bill.supplier.name}: {bill.total} {bill.currency}, due {bill.due_date}",
        "bill.paid": "Bill {bill.number} from {bill.supplier.name} is paid ({bill.total} {bill.currency})",
        "shipment.created": "Shipment {shipment.id} of order {shipment.order_id} is ready at {shipment.warehouse} ({shipment.carrier})",
        "shipment.shipped": "Shipment {shipment.id} of order {shipment.order_id} left with {shipment.carrier}, tracking {shipment.tracking_number}",
        "shipment.delivered": "Shipment {shipment.id} of order {shipment.order_id} was delivered ({shipment.carrier} {shipment.tracking_number})",
        "receiving.completed": "Receipt {receiving.id} of purchase order {receiving.purchase_order_id} completed at {receiving.warehouse}",
        "object.created": "{object.type} {object.id} was created",
        "object.updated": "{object.type} {object.id} was updated",
        "object.deleted": "{object.type} {object.id} was deleted",
    ]

    /// `Order created`, `Inventory low stock`, `Purchase order approved`: from the type itself.
    public static func title(of event: JSONValue) -> String {
        let type = event["type"]?.stringValue ?? "event"
        let words = type.split(separator: ".").joined(separator: " ").replacingUnderscores()
        guard let first = words.first else { return "Event" }
        return first.uppercased() + words.dropFirst()
    }

    /// One sentence about the event, plain text.
    public static func summary(of event: JSONValue) -> String {
        let type = event["type"]?.stringValue ?? ""
        if let sentence = sentences[type], let text = fill(sentence, event: event), let first = text.first {
            return first.uppercased() + text.dropFirst()
        }
        return title(of: event) + ": " + (event["id"]?.stringValue ?? type)
    }

    /// The summary for Slack's mrkdwn: `&`, `<` and `>` escaped as Slack asks.
    public static func slackSummary(of event: JSONValue) -> String {
        var out = ""
        for c in summary(of: event) {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The facts the sentence names, after the event's type, tenant and time.
    public static func facts(of event: JSONValue) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = [
            ("Event", event["type"]?.stringValue ?? ""), ("Tenant", event["tenant"]?.stringValue ?? ""),
            ("Occurred at", event["occurred_at"]?.stringValue ?? ""),
        ]
        guard let sentence = sentences[event["type"]?.stringValue ?? ""] else { return result }
        for path in placeholders(in: sentence) where !result.contains(where: { $0.name == humanize(path) }) {
            if let value = text(at: path, event: event) { result.append((humanize(path), value)) }
        }
        return result
    }

    /// The facts as JSON (`[{"name": …, "value": …}]`).
    public static func factsJSON(of event: JSONValue) -> JSONValue {
        .array(facts(of: event).map { .object(JSONObject([("name", .string($0.name)), ("value", .string($0.value))])) })
    }

    static func fill(_ sentence: String, event: JSONValue) -> String? {
        var out = ""
        var rest = Substring(sentence)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            guard let value = text(at: String(rest[rest.index(after: open)..<close]), event: event) else { return nil }
            out += value
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    static func placeholders(in sentence: String) -> [String] {
        var result: [String] = []
        var rest = Substring(sentence)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return result
    }

    /// A scalar of `data` as text; nil when missing, null, empty, or not a scalar.
    static func text(at path: String, event: JSONValue) -> String? {
        switch event["data"]?.value(at: path.split(separator: ".").map(String.init)) {
        case .string(let s)?: s.isEmpty ? nil : s
        case .number(let n)?: n.description
        case .bool(let b)?: b ? "yes" : "no"
        default: nil
        }
    }

    /// `purchase_order.supplier.name` → `Purchase order supplier name`.
    static func humanize(_ path: String) -> String {
        let words = path.split(separator: ".").joined(separator: " ").replacingUnderscores()
        guard let first = words.first else { return path }
        return first.uppercased() + words.dropFirst()
    }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
