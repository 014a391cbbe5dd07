// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Herald",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "herald-producer", targets: ["herald-producer"]),
        .executable(name: "herald-router", targets: ["herald-router"]),
        .executable(name: "herald-worker", targets: ["herald-worker"]),
        .executable(name: "heraldctl", targets: ["heraldctl"]),
        .executable(name: "herald-api", targets: ["herald-api"]),
        .library(name: "Herald", targets: ["Herald"]),
        .library(name: "HeraldVerify", targets: ["HeraldVerify"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // C libraries: module map + shim header only.
        .systemLibrary(name: "CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // Typed one-line wrappers for variadic C functions Swift cannot call.
        .target(name: "CHeraldCurlShims", dependencies: ["CCurl"]),
        .target(name: "CHeraldAMQPShims", dependencies: ["CRabbitMQ"]),

        // Swift wrappers: each knows only its C library.
        .target(name: "AMQP", dependencies: ["CRabbitMQ", "CHeraldAMQPShims"]),
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        .target(name: "CurlClient", dependencies: ["CCurl", "CHeraldCurlShims"]),
        .target(name: "HeraldCrypto", dependencies: ["COpenSSL"]),

        // The domain: no I/O.
        .target(name: "HeraldCore"),

        // Signature schemes: signing and, for Swift receivers, verification.
        .target(name: "HeraldVerify", dependencies: ["HeraldCore", "HeraldCrypto"]),

        // The services.
        .target(name: "Herald", dependencies: [
            "HeraldCore", "AMQP", "PostgresClient", "CurlClient", "HeraldCrypto", "HeraldVerify",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // The management REST API (Hummingbird 2): routes over the admin layer of Herald.
        .target(name: "HeraldAPI", dependencies: [
            "Herald", "HeraldCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),

        // Thin executables.
        .executableTarget(name: "herald-producer", dependencies: ["Herald", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "herald-router", dependencies: ["Herald", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "herald-worker", dependencies: ["Herald", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "herald-api", dependencies: ["HeraldAPI", "Herald", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "heraldctl", dependencies: ["Herald", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // A real HTTP receiver (deploy/receiver.py) for tests, started on a free port of 127.0.0.1.
        .target(name: "HeraldTestSupport", dependencies: ["CurlClient", "HeraldCore"], path: "Tests/HeraldTestSupport"),
        .testTarget(name: "HeraldCoreTests", dependencies: ["HeraldCore", "HeraldCrypto"]),
        .testTarget(name: "HeraldCryptoTests", dependencies: ["HeraldCrypto"]),
        .testTarget(name: "HeraldVerifyTests", dependencies: ["HeraldVerify"]),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP"]),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient"]),
        .testTarget(name: "CurlClientTests", dependencies: ["CurlClient", "HeraldTestSupport"]),
        .testTarget(name: "HeraldTests", dependencies: ["Herald"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Herald", "HeraldAPI", "HeraldTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
