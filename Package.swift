// swift-tools-version:6.0
import PackageDescription

let nio = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioEmbedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "Postern",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "postern", targets: ["postern"]),
        .executable(name: "posternd", targets: ["posternd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C: module maps and the shims Swift cannot do without (DESIGN.md, "Source layout").
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .target(name: "CPosternShims", dependencies: ["COpenSSL", "CEditLine"], linkerSettings: [.linkedLibrary("resolv")]),

        // Libraries, in dependency order.
        .target(name: "PosternConfig"),
        .target(name: "PosternPolicy", dependencies: ["PosternConfig"]),
        .target(name: "PosternTLS", dependencies: ["COpenSSL", "CPosternShims", "PosternConfig"]),
        .target(
            name: "PosternStore", dependencies: ["PosternConfig", "PosternPolicy", "PosternTLS", "PosternSpool", logging]
        ),
        .target(name: "PosternSMTPCore", dependencies: ["PosternConfig", "PosternPolicy", "PosternSpool", nio]),
        .target(name: "PosternSpool", dependencies: [logging]),
        .target(
            name: "PosternEngine",
            dependencies: [
                "PosternConfig", "PosternPolicy", "PosternStore", "PosternTLS", "PosternSMTPCore", "PosternSpool",
                "CPosternShims", nio, nioPosix, .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), logging,
            ]
        ),
        // The fleet: etcd v3 through its JSON gateway (DESIGN.md, "A fleet (etcd)").
        .target(
            name: "PosternFleet",
            dependencies: ["PosternConfig", "PosternStore", "COpenSSL", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOHTTP1", package: "swift-nio"), nio, logging]
        ),
        .target(
            name: "PosternCLI",
            dependencies: ["PosternConfig", "PosternStore", "PosternTLS", "CEditLine", "CPosternShims", logging]
        ),
        .target(
            name: "PosternTestSupport",
            dependencies: ["PosternConfig", "PosternStore", "PosternTLS", "PosternCLI"]
        ),

        // Executables: flags, logging bootstrap, wiring.
        .executableTarget(name: "postern", dependencies: ["PosternCLI", "PosternStore", "PosternFleet", argumentParser, logging]),
        .executableTarget(name: "posternd", dependencies: ["PosternEngine", "PosternStore", "PosternFleet", argumentParser, logging]),

        // Benchmarks (scripts/bench).
        .executableTarget(
            name: "postern-load",
            dependencies: ["PosternEngine", "PosternTLS", "PosternSMTPCore", "PosternConfig", nio, nioPosix,
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), argumentParser],
            path: "Benchmarks/LoadGenerator"),
        .executableTarget(name: "postern-hatbench", dependencies: ["PosternPolicy", "PosternConfig"],
                          path: "Benchmarks/HATBench"),

        // One test target per library.
        .testTarget(name: "PosternConfigTests", dependencies: ["PosternConfig"]),
        .testTarget(name: "PosternPolicyTests", dependencies: ["PosternPolicy", "PosternConfig"]),
        .testTarget(name: "PosternTLSTests", dependencies: ["PosternTLS", "PosternTestSupport"]),
        .testTarget(name: "PosternStoreTests", dependencies: ["PosternStore", "PosternTestSupport"]),
        .testTarget(name: "PosternSMTPCoreTests", dependencies: ["PosternSMTPCore", "PosternPolicy", "PosternSpool", nio]),
        .testTarget(name: "PosternSpoolTests", dependencies: ["PosternSpool"]),
        .testTarget(
            name: "PosternEngineTests",
            dependencies: ["PosternEngine", "PosternTestSupport", nio, nioEmbedded, nioPosix]
        ),
        .testTarget(name: "PosternFleetTests", dependencies: ["PosternFleet", "PosternTestSupport"]),
        .testTarget(name: "PosternCLITests", dependencies: ["PosternCLI", "PosternTestSupport"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
