import NSCore
import Glibc

var args = Array(CommandLine.arguments.dropFirst())
var cfg = SpawnConfiguration([])
while let a = args.first, a.hasPrefix("-") {
    args.removeFirst()
    switch a {
    case "--all": cfg.namespaces = .all
    case "--ns": cfg.namespaces = try! NamespaceSet(parsing: args.removeFirst())
    case "--init": cfg.useInit = true
    case "--map-root-user": cfg.mapRootUser = true
    case "--hostname": cfg.hostname = args.removeFirst()
    case "--": break
    default: break
    }
    if a == "--" { break }
}
cfg.arguments = args
do {
    let c = try Container.spawn(cfg)
    let s = try c.wait()
    exit(s.shellCode)
} catch {
    print("error: \(error.message) [code=\(error.code) stage=\(error.stage)]")
    exit(125)
}
