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
        .executable(name: "posternweb", targets: ["posternweb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // C: module maps and the shims Swift cannot do without (DESIGN.md, "Source layout").
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(name: "CPosternShims", dependencies: ["COpenSSL", "CEditLine"], linkerSettings: [.linkedLibrary("resolv")]),

        // Libraries, in dependency order.
        .target(name: "PosternConfig"),
        .target(name: "PosternPolicy", dependencies: ["PosternConfig"]),
        .target(name: "PosternTLS", dependencies: ["COpenSSL", "CPosternShims", "PosternConfig"]),
        .target(name: "PosternTLSChannel", dependencies: ["PosternTLS", nio]),
        .target(
            name: "PosternStore",
            dependencies: ["PosternConfig", "PosternPolicy", "PosternTLS", "PosternSpool", "CCrypt", logging]
        ),
        .target(name: "PosternSMTPCore", dependencies: ["PosternConfig", "PosternPolicy", "PosternSpool", nio]),
        .target(name: "PosternSpool", dependencies: [logging]),
        .target(
            name: "PosternEngine",
            dependencies: [
                "PosternConfig", "PosternPolicy", "PosternStore", "PosternTLS", "PosternTLSChannel", "PosternSMTPCore",
                "PosternSpool", "CPosternShims", nio, nioPosix, .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), logging,
            ]
        ),
        .target(
            name: "PosternCLI",
            dependencies: ["PosternConfig", "PosternStore", "PosternTLS", "CEditLine", "CPosternShims", logging]
        ),
        .target(
            name: "PosternWeb",
            dependencies: [
                "PosternConfig", "PosternStore", "PosternTLS", "PosternTLSChannel", nio, logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Templates")]
        ),
        .target(
            name: "PosternTestSupport",
            dependencies: ["PosternConfig", "PosternStore", "PosternTLS", "PosternCLI"]
        ),

        // Executables: flags, logging bootstrap, wiring.
        .executableTarget(name: "postern", dependencies: ["PosternCLI", "PosternStore", argumentParser, logging]),
        .executableTarget(name: "posternd", dependencies: ["PosternEngine", "PosternStore", argumentParser, logging]),
        .executableTarget(name: "posternweb", dependencies: ["PosternWeb", "PosternStore", argumentParser, logging]),

        // Benchmarks (scripts/bench).
        .executableTarget(
            name: "postern-load",
            dependencies: ["PosternEngine", "PosternTLS", "PosternTLSChannel", "PosternSMTPCore", "PosternConfig", nio,
                           nioPosix,
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), argumentParser],
            path: "Benchmarks/LoadGenerator"),
        .executableTarget(name: "postern-hatbench", dependencies: ["PosternPolicy", "PosternConfig"],
                          path: "Benchmarks/HATBench"),

        // One test target per library.
        .testTarget(name: "PosternConfigTests", dependencies: ["PosternConfig"]),
        .testTarget(name: "PosternPolicyTests", dependencies: ["PosternPolicy", "PosternConfig"]),
        .testTarget(name: "PosternTLSTests", dependencies: ["PosternTLS", "PosternTestSupport"]),
        .testTarget(name: "PosternTLSChannelTests", dependencies: ["PosternTLSChannel", "PosternTestSupport", nioEmbedded]),
        .testTarget(name: "PosternStoreTests", dependencies: ["PosternStore", "PosternTestSupport"]),
        .testTarget(name: "PosternSMTPCoreTests", dependencies: ["PosternSMTPCore", "PosternPolicy", "PosternSpool", nio]),
        .testTarget(name: "PosternSpoolTests", dependencies: ["PosternSpool"]),
        .testTarget(
            name: "PosternEngineTests",
            dependencies: ["PosternEngine", "PosternTestSupport", nio, nioEmbedded, nioPosix]
        ),
        .testTarget(
            name: "PosternWebTests",
            dependencies: ["PosternWeb", "PosternTestSupport"]
        ),
        .testTarget(name: "PosternCLITests", dependencies: ["PosternCLI", "PosternTestSupport"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
