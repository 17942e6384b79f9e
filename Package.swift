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
        // C: module maps and the shims Swift cannot do without, one per C library, so a program
        // links only the libraries it uses (DESIGN.md, "Source layout"). OpenSSL's shims are
        // static inlines in COpenSSL's own module map.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(name: "CEditLineShims", dependencies: ["CEditLine"]),
        .target(name: "CPosternPosix"),

        // Libraries, in dependency order.
        .target(name: "PosternConfig"),
        .target(name: "PosternPolicy", dependencies: ["PosternConfig"]),
        .target(name: "PosternTLS", dependencies: ["COpenSSL", "PosternConfig"]),
        .target(name: "PosternTLSChannel", dependencies: ["PosternTLS", nio]),
        // The configuration store: load, lock, atomic commit, history, the home's layout, accounts, audit.
        .target(name: "PosternStore", dependencies: ["PosternConfig", "PosternSpool", "CCrypt", logging]),
        // The files under certs/: certificates and keys named by fingerprint, SMTP AUTH bind secrets.
        .target(name: "PosternCertificates", dependencies: ["PosternConfig", "PosternSpool", "PosternStore", "PosternTLS"]),
        // A configuration compiled to serve (SSL_CTXs, HAT, RAT, AUTH), and a home made ready to:
        // the engine at every reload, posternweb, and `commit`'s check.
        .target(
            name: "PosternRuntime",
            dependencies: ["PosternCertificates", "PosternConfig", "PosternPolicy", "PosternSpool", "PosternStore",
                           "PosternTLS"]
        ),
        // Between the admin processes and the engine: status.json, SIGHUP and the wait, queue
        // requests, the hourly TLS report.
        .target(name: "PosternControl", dependencies: ["PosternConfig", "PosternSpool", "PosternStore"]),
        .target(
            name: "PosternDNS",
            dependencies: ["CAres", "PosternConfig", nio, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .target(name: "PosternSMTPCore", dependencies: ["PosternConfig", "PosternPolicy", "PosternSpool", nio]),
        .target(name: "PosternSpool", dependencies: ["PosternConfig"]),
        // LDAP without NIO: the engine runs it on its own threads, the CLI's TEST directly.
        .target(name: "PosternDirectory", dependencies: ["CLDAP", "PosternConfig", "PosternTLS"]),
        .target(
            name: "PosternEngine",
            dependencies: [
                "PosternConfig", "PosternPolicy", "PosternStore", "PosternRuntime", "PosternControl", "PosternCertificates",
                "PosternTLS", "PosternTLSChannel", "PosternSMTPCore",
                "PosternSpool", "PosternDNS", "PosternDirectory", nio, nioPosix,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), logging,
            ]
        ),
        // The fleet: etcd v3 through its JSON gateway (DESIGN.md, "A fleet (etcd)").
        .target(
            name: "PosternFleet",
            dependencies: ["PosternConfig", "PosternStore", "PosternRuntime", "PosternControl", "PosternSpool", "COpenSSL",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOHTTP1", package: "swift-nio"), nio, logging]
        ),
        .target(
            name: "PosternCLI",
            dependencies: ["PosternConfig", "PosternStore", "PosternCertificates", "PosternRuntime", "PosternControl",
                           "PosternSpool", "PosternTLS", "PosternDirectory", "CEditLine", "CEditLineShims", "CPosternPosix"]
        ),
        .target(
            name: "PosternWeb",
            dependencies: [
                "PosternConfig", "PosternStore", "PosternRuntime", "PosternControl", "PosternCertificates", "PosternTLS",
                "PosternTLSChannel", nio, logging,
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            resources: [.copy("Templates")]
        ),
        .target(
            name: "PosternTestSupport",
            dependencies: ["PosternConfig", "PosternStore", "PosternRuntime", "PosternTLS", "PosternCLI", "PosternSpool", nio,
                           nioEmbedded]
        ),

        // Executables: flags, logging bootstrap, wiring.
        .executableTarget(name: "postern", dependencies: ["PosternCLI", "PosternStore", "PosternRuntime", "PosternFleet", argumentParser, logging]),
        .executableTarget(
            name: "posternd",
            dependencies: ["PosternEngine", "PosternConfig", "PosternDNS", "PosternStore", "PosternRuntime", "PosternFleet", argumentParser,
                           logging]),
        .executableTarget(
            name: "posternweb",
            dependencies: ["PosternWeb", "PosternStore", "PosternRuntime", "PosternFleet", argumentParser, logging]),

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
        .testTarget(name: "PosternConfigTests", dependencies: ["PosternConfig", "PosternPolicy"]),
        .testTarget(name: "PosternPolicyTests", dependencies: ["PosternPolicy", "PosternConfig"]),
        .testTarget(name: "PosternTLSTests", dependencies: ["PosternTLS", "PosternConfig", "COpenSSL", "PosternTestSupport"]),
        .testTarget(
            name: "PosternTLSChannelTests",
            dependencies: ["PosternTLSChannel", "PosternTLS", "PosternConfig", "PosternTestSupport", nio, nioEmbedded]
        ),
        .testTarget(
            name: "PosternStoreTests",
            dependencies: ["PosternStore", "PosternRuntime", "PosternCertificates", "PosternConfig", "PosternSpool", "PosternTLS",
                           "PosternTestSupport"]
        ),
        .testTarget(name: "PosternControlTests", dependencies: ["PosternControl", "PosternConfig", "PosternStore", "PosternTestSupport"]),
        .testTarget(name: "PosternSMTPCoreTests", dependencies: ["PosternSMTPCore", "PosternPolicy", "PosternConfig", "PosternSpool", nio]),
        .testTarget(name: "PosternSpoolTests", dependencies: ["PosternSpool", "PosternTestSupport"]),
        .testTarget(name: "PosternDNSTests", dependencies: ["PosternDNS", "PosternConfig", "PosternTestSupport", nio, nioPosix]),
        .testTarget(
            name: "PosternEngineTests",
            dependencies: ["PosternEngine", "PosternRuntime", "PosternControl", "PosternDNS", "PosternConfig", "PosternPolicy",
                           "PosternSMTPCore", "PosternSpool", "PosternStore", "PosternTLS", "PosternTLSChannel", "PosternTestSupport",
                           nio, nioEmbedded, nioPosix, logging]
        ),
        .testTarget(
            name: "PosternWebTests",
            dependencies: ["PosternWeb", "PosternConfig", "PosternStore", "PosternTestSupport"]
        ),
        .testTarget(
            name: "PosternFleetTests",
            dependencies: ["PosternFleet", "PosternRuntime", "PosternConfig", "PosternStore", "PosternTestSupport", logging]
        ),
        .testTarget(name: "PosternCLITests", dependencies: ["PosternCLI", "PosternCertificates", "PosternConfig", "PosternStore",
                                                    "PosternTLS", "PosternTestSupport"],
                    exclude: ["Golden"]),
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
