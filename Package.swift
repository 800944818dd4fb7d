// swift-tools-version:6.0
//
// NSCore: an embeddable Linux namespace and container engine.
//
// Targets, top to bottom (data flows down, never back up):
//   NSCABI       @c exports over NSCore; the dynamic product that `make` installs as libnscore.so
//   nscore-cli   the `nscore` command, a thin layer over NSCore
//   NSCore       the engine: configuration, validation, planning, lifecycle, inspection
//   CNSCoreShim  the only C: raw syscalls and the child-side plan executor (clone -> execve)
import PackageDescription

let package = Package(
    name: "NSCore",
    products: [
        .library(name: "NSCore", targets: ["NSCore"]),
        // `make` links this product with a version script and soname and installs it as libnscore.so.
        .library(name: "NSCoreABI", type: .dynamic, targets: ["NSCABI"]),
        .executable(name: "nscore", targets: ["nscore-cli"]),
    ],
    targets: [
        .target(
            name: "CNSCoreShim",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "NSCore",
            dependencies: ["CNSCoreShim"]
        ),
        .target(
            name: "NSCABI",
            dependencies: ["NSCore"]
        ),
        .executableTarget(
            name: "nscore-cli",
            dependencies: ["NSCore", "CNSCoreShim"]
        ),
        .testTarget(
            name: "NSCoreTests",
            dependencies: ["NSCore"]
        ),
    ]
)
