// swift-tools-version:5.9
// The Swift echo bot: the command-line contract of examples/echo-bot (Rust) on the `OpenWA`
// Swift package (bindings-swift, used from this checkout). Build the package's XCFramework first
// (bindings-swift/scripts/build-xcframework.sh), then `swift run swift-echo-bot --help`.
import PackageDescription

let package = Package(
    name: "swift-echo-bot",
    platforms: [.macOS(.v12)],
    dependencies: [
        .package(path: "../../bindings-swift"),
    ],
    targets: [
        .executableTarget(
            name: "swift-echo-bot",
            dependencies: [.product(name: "OpenWA", package: "bindings-swift")],
            path: "Sources/swift-echo-bot"
        ),
    ]
)
