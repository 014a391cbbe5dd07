/// Deterministic, seeded generator of realistic ERP events, for demos, samples and benchmarks:
/// the same seed gives the same events. Orders have 1–8 line items whose totals add up
/// (total = subtotal + tax + shipping, money with two decimals).
public struct EventGenerator: Sendable {
    private var rng: SplitMix64
    private let tenants: [String]
    private let types: [String]
    private let targetPayloadBytes: Int?
    private var clock: UInt64
    private var sequence = 0

    public init(seed: UInt64, tenants: [String] = ["acme"], types: [String] = EventCatalog.types, targetPayloadBytes: Int? = nil) {
        rng = SplitMix64(seed: seed)
        self.tenants = tenants.isEmpty ? ["acme"] : tenants
        self.types = types.isEmpty ? EventCatalog.types : types
        self.targetPayloadBytes = targetPayloadBytes
        clock = 1_769_095_800_000   // 2026-01-22T15:30:00Z
    }

    public mutating func next() -> JSONValue {
        sequence += 1
        clock += UInt64(rng.below(5000)) + 1
        let type = types[rng.below(types.count)]
        let tenant = tenants[rng.below(tenants.count)]
        let id = Identifier.make(prefix: "evt_", unixMilliseconds: clock, random: (rng.next(), rng.next()))
        var data = makeData(type: type)
        if let target = targetPayloadBytes {
            pad(&data, to: target)
        }
        return .object(JSONObject([
            ("id", .string(id)), ("type", .string(type)), ("tenant", .string(tenant)),
            ("occurred_at", .string(Timestamp.iso8601(unixMilliseconds: Int64(clock), fractional: false))), ("data", data),
        ]))
    }

    // MARK: pools

    static let firstNames = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Tim", "Radia", "Zoë", "José"]
    static let lastNames = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen", "Berners-Lee", "Perlman", "Müller", "García"]
    static let companies = ["Acme Corp", "Globex", "Initech", "Umbrella Supplies", "Stark Industries", "Wayne Enterprises", "Tyrell Trading", "Soylent Foods"]
    static let products: [(sku: String, name: String, price: Int)] = [
        ("WID-1001", "Widget Standard", 1999), ("WID-1002", "Widget Pro", 4999), ("GAD-2001", "Gadget Mini", 2450),
        ("GAD-2002", "Gadget Max", 12900), ("BOLT-M8", "Hex Bolt M8 (100)", 1275), ("CBL-USB-C", "USB-C Cable 2m", 899),
        ("DESK-OAK", "Oak Desk 160cm", 54900), ("CHR-ERG", "Ergonomic Chair", 32900), ("LMP-LED", "LED Desk Lamp", 3999),
        ("PAP-A4", "Paper A4 (5 reams)", 2499), ("INK-BLK", "Ink Cartridge Black", 2899), ("MON-27", "27\" Monitor", 27900),
    ]
    static let warehouses = ["WH-EAST", "WH-WEST", "WH-CENTRAL", "WH-EU-1"]
    static let carriers = ["UPS", "FedEx", "DHL", "USPS"]
    static let cities: [(city: String, postal: String, country: String)] = [
        ("Springfield", "62701", "US"), ("Portland", "97201", "US"), ("Berlin", "10115", "DE"), ("Lyon", "69001", "FR"), ("Austin", "73301", "US"),
    ]
    static let sources = ["Online", "Online", "Phone", "Store"]
    static let shipMethods = ["Standard", "Express", "Ground", "Overnight"]
    static let paymentMethods = ["card", "ach", "wire", "paypal"]
    static let categories = ["Hardware", "Furniture", "Office Supplies", "Electronics"]

    // MARK: entities

    private mutating func money(_ cents: Int) -> JSONValue {
        let sign = cents < 0 ? "-" : ""
        let c = abs(cents)
        let text = "\(sign)\(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)"
        return .number(JSONNumber(literal: text) ?? JSONNumber(Double(cents) / 100))
    }

    private mutating func code(_ prefix: String, _ digits: Int = 6) -> String {
        var s = prefix
        for _ in 0..<digits { s.append(Character(UnicodeScalar(UInt8(48 + rng.below(10))))) }
        return s
    }

    private mutating func person() -> (name: String, email: String) {
        let first = Self.firstNames[rng.below(Self.firstNames.count)]
        let last = Self.lastNames[rng.below(Self.lastNames.count)]
        let emailName = "\(first).\(last)".lowercased().filter { $0.isASCII && ($0.isLetter || $0 == ".") }
        return ("\(first) \(last)", "\(emailName)@example.com")
    }

    private mutating func customer() -> JSONValue {
        let p = person()
        return .object(JSONObject([
            ("id", .string(code("cus_"))), ("name", .string(p.name)), ("email", .string(p.email)),
            ("phone", .string("+1-555-\(code("", 3))-\(code("", 4))")), ("company", .string(Self.companies[rng.below(Self.companies.count)])),
        ]))
    }

    private mutating func address() -> JSONValue {
        let c = Self.cities[rng.below(Self.cities.count)]
        return .object(JSONObject([
            ("line1", .string("\(1 + rng.below(9999)) Market Street")), ("city", .string(c.city)),
            ("postal_code", .string(c.postal)), ("country", .string(c.country)),
        ]))
    }

    private mutating func lineItems(count: Int) -> (items: JSONValue, subtotalCents: Int) {
        var items: [JSONValue] = []
        var subtotal = 0
        for _ in 0..<count {
            let product = Self.products[rng.below(Self.products.count)]
            let quantity = 1 + rng.below(5)
            let total = product.price * quantity
            subtotal += total
            items.append(.object(JSONObject([
                ("sku", .string(product.sku)), ("name", .string(product.name)), ("quantity", .number(JSONNumber(quantity))),
                ("price", money(product.price)), ("total", money(total)),
            ])))
        }
        return (.array(items), subtotal)
    }

    private mutating func order(status: String) -> JSONValue {
        let (items, subtotal) = lineItems(count: 1 + rng.below(8))
        let tax = subtotal * 8 / 100
        let shipping = [0, 599, 999, 1499][rng.below(4)]
        return .object(JSONObject([
            ("id", .string(code("ord_"))), ("number", .string("SO-2026-\(code("", 5))")), ("status", .string(status)),
            ("source", .string(Self.sources[rng.below(Self.sources.count)])),
            ("ship_method", .string(Self.shipMethods[rng.below(Self.shipMethods.count)])), ("currency", "USD"),
            ("items", items), ("subtotal", money(subtotal)), ("tax", money(tax)), ("shipping", money(shipping)),
            ("total", money(subtotal + tax + shipping)), ("shipping_address", address()),
        ]))
    }

    private mutating func supplier() -> JSONValue {
        .object(JSONObject([("id", .string(code("sup_"))), ("name", .string(Self.companies[rng.below(Self.companies.count)]))]))
    }

    private mutating func makeData(type: String) -> JSONValue {
        let parts = type.split(separator: ".", maxSplits: 1).map(String.init)
        let entity = parts.first ?? "object"
        let action = parts.count > 1 ? parts[1] : "updated"
        switch entity {
        case "order":
            let status = ["created": "pending", "updated": "pending", "confirmed": "confirmed", "shipped": "shipped",
                          "delivered": "delivered", "cancelled": "cancelled", "completed": "completed"][action] ?? "pending"
            return .object(JSONObject([("order", order(status: status)), ("customer", customer())]))
        case "invoice":
            let total = 1000 + rng.below(250_000)
            let paid = action == "paid"
            return .object(JSONObject([
                ("invoice", .object(JSONObject([
                    ("id", .string(code("inv_"))), ("number", .string("INV-2026-\(code("", 5))")), ("order_id", .string(code("ord_"))),
                    ("status", .string(action == "created" ? "draft" : action)), ("currency", "USD"), ("total", money(total)),
                    ("amount_due", money(paid ? 0 : total)), ("due_date", "2026-02-21"),
                ]))),
                ("customer", customer()),
            ]))
        case "payment":
            return .object(JSONObject([
                ("payment", .object(JSONObject([
                    ("id", .string(code("pay_"))), ("invoice_id", .string(code("inv_"))), ("amount", money(500 + rng.below(100_000))),
                    ("currency", "USD"), ("method", .string(Self.paymentMethods[rng.below(Self.paymentMethods.count)])),
                    ("status", .string(action)), ("reference", .string(code("REF-", 8))),
                ]))),
                ("customer", customer()),
            ]))
        case "customer":
            return .object(JSONObject([("customer", customer())]))
        case "contact":
            let p = person()
            return .object(JSONObject([("contact", .object(JSONObject([
                ("id", .string(code("con_"))), ("customer_id", .string(code("cus_"))), ("name", .string(p.name)), ("email", .string(p.email)),
                ("phone", .string("+1-555-\(code("", 3))-\(code("", 4))")), ("role", .string(["Buyer", "Accounts Payable", "Owner"][rng.below(3)])),
            ])))]))
        case "product":
            let product = Self.products[rng.below(Self.products.count)]
            return .object(JSONObject([("product", .object(JSONObject([
                ("id", .string(code("prd_"))), ("sku", .string(product.sku)), ("name", .string(product.name)), ("price", money(product.price)),
                ("currency", "USD"), ("category", .string(Self.categories[rng.below(Self.categories.count)])), ("active", .bool(action != "deleted")),
            ])))]))
        case "inventory":
            let product = Self.products[rng.below(Self.products.count)]
            let onHand = action == "out_of_stock" ? 0 : (action == "low_stock" ? 1 + rng.below(9) : 10 + rng.below(990))
            return .object(JSONObject([("inventory", .object(JSONObject([
                ("sku", .string(product.sku)), ("name", .string(product.name)), ("warehouse", .string(Self.warehouses[rng.below(Self.warehouses.count)])),
                ("quantity_on_hand", .number(JSONNumber(onHand))), ("quantity_change", .number(JSONNumber(rng.below(41) - 20))),
                ("reorder_point", 10), ("unit", "each"),
            ])))]))
        case "purchase_order":
            let (items, subtotal) = lineItems(count: 1 + rng.below(6))
            return .object(JSONObject([("purchase_order", .object(JSONObject([
                ("id", .string(code("po_"))), ("number", .string("PO-2026-\(code("", 5))")), ("status", .string(action)),
                ("supplier", supplier()), ("currency", "USD"), ("items", items), ("total", money(subtotal)),
                ("expected_date", "2026-02-05"),
            ])))]))
        case "bill":
            return .object(JSONObject([("bill", .object(JSONObject([
                ("id", .string(code("bill_"))), ("number", .string("BILL-\(code("", 6))")), ("supplier", supplier()),
                ("status", .string(action == "paid" ? "paid" : "open")), ("currency", "USD"), ("total", money(1000 + rng.below(500_000))),
                ("due_date", "2026-02-21"),
            ])))]))
        case "shipment":
            let (items, _) = lineItems(count: 1 + rng.below(4))
            return .object(JSONObject([("shipment", .object(JSONObject([
                ("id", .string(code("shp_"))), ("order_id", .string(code("ord_"))), ("status", .string(action)),
                ("carrier", .string(Self.carriers[rng.below(Self.carriers.count)])), ("tracking_number", .string(code("1Z", 16))),
                ("warehouse", .string(Self.warehouses[rng.below(Self.warehouses.count)])), ("items", items), ("ship_to", address()),
            ])))]))
        case "receiving":
            let (items, _) = lineItems(count: 1 + rng.below(4))
            return .object(JSONObject([("receiving", .object(JSONObject([
                ("id", .string(code("rcv_"))), ("purchase_order_id", .string(code("po_"))),
                ("warehouse", .string(Self.warehouses[rng.below(Self.warehouses.count)])), ("items", items),
            ])))]))
        default:
            return .object(JSONObject([("object", .object(JSONObject([
                ("type", .string(["order", "customer", "product"][rng.below(3)])), ("id", .string(code("obj_"))),
                ("changes", .object(JSONObject([("status", .string(action))]))),
            ])))]))
        }
    }

    /// Adds realistic notes until the data is about `target` bytes.
    private mutating func pad(_ data: inout JSONValue, to target: Int) {
        guard case .object(var object) = data else { return }
        var size = data.serialized().utf8.count
        var notes: [JSONValue] = []
        let sentence = "Customer requested delivery to the loading dock; call ahead. "
        while size < target {
            let chunk = String(repeating: sentence, count: max(1, min(64, (target - size) / sentence.utf8.count)))
            notes.append(.string(chunk))
            size += chunk.utf8.count + 3
        }
        if !notes.isEmpty { object["notes"] = .array(notes) }
        data = .object(object)
    }
}

/// A small, fast, seedable generator (SplitMix64): repeatable runs without Foundation.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}
