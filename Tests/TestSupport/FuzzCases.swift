import Foundation
import ImageFormats
#if canImport(Glibc)
import Glibc
#endif

/// The inputs the fuzz targets start from and the crashes they found, for the tests that replay them through the
/// same `FormatDecoder.checkProperties` the fuzz binary calls (Tools/fuzz): the seeds of Tools/fuzz/seeds.tsv and
/// Fixtures/fuzz/seeds/TARGET, and the regression cases in Fixtures/fuzz/TARGET.
public enum FuzzCases {
    static let root = packageRoot.path

    /// Seed files of `target`: the globs seeds.tsv gives it (files of at most 1 MB) and its generated seeds.
    public static func seeds(_ target: String) -> [String] {
        let table = (try? String(contentsOfFile: root + "/Tools/fuzz/seeds.tsv", encoding: .utf8)) ?? ""
        var files: [String] = []
        for line in table.split(separator: "\n") where !line.hasPrefix("#") {
            let columns = line.split(separator: "\t", maxSplits: 1)
            guard columns.count == 2, columns[0] == target else { continue }
            for pattern in columns[1].split(separator: " ") { files += expand(root + "/" + pattern) }
        }
        files += folder(root + "/Fixtures/fuzz/seeds/" + target)
        return files.filter { (size($0) ?? .max) <= 1 << 20 }
    }

    /// The regression cases of `target` (inputs that once crashed it or broke a property).
    public static func regressions(_ target: String) -> [String] { folder(root + "/Fixtures/fuzz/" + target) }

    /// Every seed and regression case of every format, through its property check: the failures, as
    /// `target: file: problem`.
    public static func failures(_ formats: [any FormatDecoder]) -> [String] {
        var failures: [String] = []
        for format in formats {
            for file in seeds(format.formatName) + regressions(format.formatName) {
                guard let bytes = FileManager.default.contents(atPath: file) else { continue }
                if let problem = format.checkProperties(Array(bytes)) { failures.append("\(format.formatName): \(file): \(problem)") }
            }
        }
        return failures
    }

    static func folder(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
            .filter { (size($0) ?? -1) >= 0 }
    }

    static func size(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    static func expand(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }.filter { size($0) != nil }
    }
}
