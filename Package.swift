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
    ],
    targets: [
        // C: module maps and the shims Swift cannot do without (DESIGN.md, "Source layout").
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CAres", pkgConfig: "libcares", providers: [.apt(["libc-ares-dev"])]),
        .target(name: "CPosternShims", dependencies: ["COpenSSL", "CEditLine"]),

        // Libraries, in dependency order.
        .target(name: "PosternConfig"),
        .target(name: "PosternPolicy", dependencies: ["PosternConfig"]),
        .target(name: "PosternTLS", dependencies: ["COpenSSL", "CPosternShims", "PosternConfig"]),
        .target(
            name: "PosternStore", dependencies: ["PosternConfig", "PosternPolicy", "PosternTLS", "PosternSpool", logging]
        ),
        .target(
            name: "PosternDNS",
            dependencies: ["CAres", "PosternConfig", nio, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .target(name: "PosternSMTPCore", dependencies: ["PosternConfig", "PosternPolicy", "PosternSpool", nio]),
        .target(name: "PosternSpool", dependencies: [logging]),
        .target(
            name: "PosternEngine",
            dependencies: [
                "PosternConfig", "PosternPolicy", "PosternStore", "PosternTLS", "PosternSMTPCore", "PosternSpool",
                "PosternDNS", "CPosternShims", nio, nioPosix, .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), logging,
            ]
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
        .executableTarget(name: "postern", dependencies: ["PosternCLI", "PosternStore", argumentParser, logging]),
        .executableTarget(
            name: "posternd", dependencies: ["PosternEngine", "PosternDNS", "PosternStore", argumentParser, logging]),

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
        .testTarget(name: "PosternDNSTests", dependencies: ["PosternDNS", "PosternConfig", "PosternTestSupport", nio, nioPosix]),
        .testTarget(
            name: "PosternEngineTests",
            dependencies: ["PosternEngine", "PosternTestSupport", nio, nioEmbedded, nioPosix]
        ),
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
