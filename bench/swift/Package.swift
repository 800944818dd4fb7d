// swift-tools-version:6.0
//
// The Swift-API benchmark of bench/run.sh: NSCore's `Container.spawn` / `Container.join` against
// the raw clone3/setns loops of bench/c/rawloop.c (the CRawLoop target links the same file), in
// one process. Built by run.sh with `--scratch-path bench/swift/.build` (gitignored).
import PackageDescription

let package = Package(
    name: "nscore-bench-swift",
    dependencies: [
        .package(name: "NSCore", path: "../..")
    ],
    targets: [
        .target(name: "CRawLoop"),
        .executableTarget(
            name: "nscore-bench-swift",
            dependencies: [
                .product(name: "NSCore", package: "NSCore"),
                "CRawLoop",
            ]
        ),
    ]
)
