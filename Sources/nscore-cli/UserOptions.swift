import Glibc
import NSCore

/// `nscore run`'s user namespace maps and user options, in util-linux's spellings (`unshare
/// --map-root-user`, `--map-users`, `--map-groups`, `--map-user`, `--map-group`, `--setuid`,
/// `--setgid`; setpriv's `--groups`), turned into ``SpawnConfiguration/mapRootUser``,
/// ``SpawnConfiguration/uidMappings``, ``SpawnConfiguration/gidMappings`` and
/// ``SpawnConfiguration/user`` (their help is in RunCommand.help, a literal: an interpolated
/// one would be built at every start).
///
/// Text is parsed here, so that a bad id or map is a usage error (exit 2) naming the option
/// and the value; what only the engine can judge (overlapping lines, a user outside the maps,
/// ranges /etc/subuid does not grant) fails at spawn with its own message (exit 125).
struct UserOptions {
    static func add(to t: inout OptionTable) {
        t.add(OptionSpec("map-root-user", "r"))
        t.add(OptionSpec("map-users", value: .required))
        t.add(OptionSpec("map-groups", value: .required))
        t.add(OptionSpec("map-user", value: .required))
        t.add(OptionSpec("map-group", value: .required))
        t.add(OptionSpec("setuid", "S", value: .required))
        t.add(OptionSpec("setgid", "G", value: .required))
        t.add(OptionSpec("groups", value: .required))
    }

    /// How `-r`/`--map-root-user` was spelled, once given.
    private var mapRootUser: String?
    /// How the first map option was spelled, once one was given.
    private var firstMapOption: String?
    private var uid: UInt32?
    private var gid: UInt32?
    /// How the first `--setgid` or `--groups` was spelled, for the "needs --setuid" message.
    private var firstGroupOption: String?
    /// `--groups`: nil when not given (so that a plain `nscore run` makes no array).
    private var groups: [UInt32]?

    /// Applies `option`; false when it is not one of these. Maps are appended to `config`
    /// at once, in the order given.
    mutating func apply(_ option: ParsedOption, to config: inout SpawnConfiguration,
                        _ parser: ArgumentParser) throws(CLIError) -> Bool {
        switch option.name {
        case "map-root-user":
            if mapRootUser == nil { mapRootUser = option.spelling }
            config.mapRootUser = true
            return true
        case "map-users":
            config.uidMappings.append(try Self.mapping(option, parser))
        case "map-groups":
            config.gidMappings.append(try Self.mapping(option, parser))
        case "map-user":
            config.uidMappings.append(IDMapping(containerID: try Self.id(option, parser), hostID: geteuid(), size: 1))
        case "map-group":
            config.gidMappings.append(IDMapping(containerID: try Self.id(option, parser), hostID: getegid(), size: 1))
        case "setuid":
            uid = try Self.id(option, parser)
            return true
        case "setgid":
            gid = try Self.id(option, parser)
            if firstGroupOption == nil { firstGroupOption = option.spelling }
            return true
        case "groups":
            let text = option.value ?? ""
            var list: [UInt32] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let g = Self.number(part) else {
                    throw parser.usage("invalid groups '\(text)' for '\(option.spelling)': '\(part)' is not a gid "
                                       + "(expected GID[,GID...], numbers from 0 to 4294967294)")
                }
                list.append(g)
            }
            groups = list
            if firstGroupOption == nil { firstGroupOption = option.spelling }
            return true
        default:
            return false
        }
        if firstMapOption == nil { firstMapOption = option.spelling }
        return true
    }

    /// Sets `config.user` from `--setuid`, `--setgid` and `--groups`.
    /// - Throws: a usage error for `--setgid` or `--groups` without `--setuid`, and for `-r`
    ///   with a map option.
    func configure(_ config: inout SpawnConfiguration, _ parser: ArgumentParser) throws(CLIError) {
        if let mapRootUser, let firstMapOption {
            throw parser.usage("'\(firstMapOption)' and '\(mapRootUser)' are exclusive: '\(mapRootUser)' maps "
                               + "only root, to your uid and gid; '--map-user 0 --map-group 0' does the same as "
                               + "a map")
        }
        guard let uid else {
            if let firstGroupOption { throw parser.usage("'\(firstGroupOption)' needs --setuid UID (-S)") }
            return
        }
        config.user = User(uid: uid, gid: gid ?? 0, additionalGids: groups ?? [])
    }

    /// `INNER:OUTER:COUNT`, or a usage error that names the option and quotes the parser.
    private static func mapping(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> IDMapping {
        let text = option.value ?? ""
        do {
            return try IDMapping(parsing: text)
        } catch {
            throw parser.usage("invalid value '\(text)' for '\(option.spelling)': \(error.message)")
        }
    }

    /// A uid or gid: decimal digits only, at most 4294967294 (4294967295 is -1, "no id", to
    /// setresuid(2) and the maps).
    private static func id(_ option: ParsedOption, _ parser: ArgumentParser) throws(CLIError) -> UInt32 {
        let text = option.value ?? ""
        guard let v = number(Substring(text)) else {
            throw parser.usage("invalid id '\(text)' for '\(option.spelling)': expected a number from 0 to 4294967294")
        }
        return v
    }

    private static func number(_ s: Substring) -> UInt32? {
        // Decimal digits only: UInt32() alone would take "+5".
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let v = UInt32(s), v != UInt32.max
        else { return nil }
        return v
    }
}
