import ImageFormats
import Testing

/// PythonCSV against what Python 3's `csv.reader(open(f, newline=None))` returned for the same text (recorded
/// with CPython 3; the line numbers are where each record starts).
@Suite struct PythonCSVTests {
    @Test(arguments: [
        ("a,b\n", [[1: ["a", "b"]]]),
        ("a,\"b\nc\",d\r\ne", [[1: ["a", "b\nc", "d"]], [3: ["e"]]]),
        ("\n\n,,\n", [[1: []], [2: []], [3: ["", "", ""]]]),
        ("\"x\"\"y\"z,\"", [[1: ["x\"yz", ""]]]),
        ("a\"b,\"c\"\r\"d", [[1: ["a\"b", "c"]], [2: ["d"]]]),
        ("#x,1\n\"a,b\" ,c", [[1: ["#x", "1"]], [2: ["a,b ", "c"]]]),
    ])
    func recordsAreWhatCsvReaderReturns(_ text: String, _ expected: [[Int: [String]]]) {
        let records = PythonCSV.records(text)
        #expect(records.map { [$0.line: $0.fields] } == expected)
    }

    @Test func blankAndAllEmptyRows() {
        let records = PythonCSV.records("\n,,\na\n")
        #expect(records.map(\.isBlank) == [true, false, false])
        #expect(records.map(\.isAllEmpty) == [false, true, false])
    }

    @Test func quotingIsMinimal() {
        #expect(PythonCSV.quoted("plain") == "plain")
        #expect(PythonCSV.quoted("a,b") == "\"a,b\"")
        #expect(PythonCSV.quoted("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(PythonCSV.quoted("two\nlines") == "\"two\nlines\"")
    }
}
