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
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C: module maps and the shims Swift cannot do without (DESIGN.md, "Source layout").
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(name: "CPosternShims", dependencies: ["COpenSSL", "CEditLine"]),

        // Libraries, in dependency order.
        .target(name: "PosternConfig"),
        .target(name: "PosternPolicy", dependencies: ["PosternConfig"]),
        .target(name: "PosternTLS", dependencies: ["COpenSSL", "CPosternShims", "PosternConfig"]),
        .target(name: "PosternTLSChannel", dependencies: ["PosternTLS", nio]),
        .target(
            name: "PosternStore",
            dependencies: ["PosternConfig", "PosternPolicy", "PosternTLS", "PosternSpool", "CCrypt", logging]
        ),
        .target(
            name: "PosternDNS",
            dependencies: ["CAres", "PosternConfig", nio, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .target(name: "PosternSMTPCore", dependencies: ["PosternConfig", "PosternPolicy", "PosternSpool", nio]),
        .target(name: "PosternSpool", dependencies: [logging]),
        // LDAP without NIO: the engine runs it on its own threads, the CLI's TEST directly.
        .target(name: "PosternDirectory", dependencies: ["CLDAP", "PosternConfig", "PosternTLS"]),
        .target(
            name: "PosternEngine",
            dependencies: [
                "PosternConfig", "PosternPolicy", "PosternStore", "PosternTLS", "PosternTLSChannel", "PosternSMTPCore",
                "PosternSpool", "PosternDNS", "PosternDirectory", "CPosternShims", nio, nioPosix,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), logging,
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
            dependencies: ["PosternConfig", "PosternStore", "PosternTLS", "PosternDirectory", "CEditLine", "CPosternShims",
                           logging]
        ),
        .target(
            name: "PosternWeb",
            dependencies: [
                "PosternConfig", "PosternStore", "PosternTLS", "PosternTLSChannel", nio, logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            resources: [.copy("Templates")]
        ),
        .target(
            name: "PosternTestSupport",
            dependencies: ["PosternConfig", "PosternStore", "PosternTLS", "PosternCLI", "PosternSpool", nio, nioEmbedded]
        ),

        // Executables: flags, logging bootstrap, wiring.
        .executableTarget(name: "postern", dependencies: ["PosternCLI", "PosternStore", "PosternFleet", argumentParser, logging]),
        .executableTarget(
            name: "posternd",
            dependencies: ["PosternEngine", "PosternConfig", "PosternDNS", "PosternStore", "PosternFleet", argumentParser, logging]),
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
        .testTarget(name: "PosternStoreTests", dependencies: ["PosternStore", "PosternSpool", "PosternTestSupport"]),
        .testTarget(name: "PosternSMTPCoreTests", dependencies: ["PosternSMTPCore", "PosternPolicy", "PosternSpool", nio]),
        .testTarget(name: "PosternSpoolTests", dependencies: ["PosternSpool", "PosternTestSupport"]),
        .testTarget(name: "PosternDNSTests", dependencies: ["PosternDNS", "PosternConfig", "PosternTestSupport", nio, nioPosix]),
        .testTarget(
            name: "PosternEngineTests",
            dependencies: ["PosternEngine", "PosternDNS", "PosternTestSupport", nio, nioEmbedded, nioPosix]
        ),
        .testTarget(
            name: "PosternWebTests",
            dependencies: ["PosternWeb", "PosternTestSupport"]
        ),
        .testTarget(name: "PosternFleetTests", dependencies: ["PosternFleet", "PosternTestSupport"]),
        .testTarget(name: "PosternCLITests", dependencies: ["PosternCLI", "PosternTestSupport"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer harnesses (scripts/fuzz, Fuzz/README.md): declared only when POSTERN_FUZZ is set,
// so their entry points and sanitizer flags never reach the normal products.
if Context.environment["POSTERN_FUZZ"] != nil {
    let harnesses: [(String, [Target.Dependency])] = [
        ("SMTPCommand", ["PosternSMTPCore"]), ("MailPath", ["PosternSMTPCore"]),
        ("InputFramer", ["PosternSMTPCore", nio]), ("DotStuffing", ["PosternSMTPCore", nio]),
        ("HATText", ["PosternConfig"]), ("RATText", ["PosternCLI"]), ("ConfigDecoder", ["PosternConfig"]),
        ("SpoolScanner", ["PosternSpool"]),
    ]
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/Support/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Support/FuzzSupport"),
    ]
    for (name, dependencies) in harnesses {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: dependencies + ["FuzzSupport"],
                                                 path: "Fuzz/\(name)", exclude: ["corpus"]))
    }
}
