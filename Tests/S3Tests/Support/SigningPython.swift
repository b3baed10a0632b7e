import Foundation

/// Runs the Python helpers under `Tests/S3Tests/Support/` for the signing and credential tests.
enum SigningPython {
    /// `Tests/S3Tests/Support/`, found from this file's path.
    static let supportDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

    /// The interpreter: `STORAGE_CACHE_TEST_PYTHON`, else the LocalStack venv's, else `python3` on `PATH`.
    static var interpreter: (path: String, arguments: [String]) {
        let environment = ProcessInfo.processInfo.environment
        if let python = environment["STORAGE_CACHE_TEST_PYTHON"], !python.isEmpty { return (python, []) }
        let venv = "/work/main/.localstack/venv/bin/python"
        if FileManager.default.isExecutableFile(atPath: venv) { return (venv, []) }
        return ("/usr/bin/env", ["python3"])
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `script` with `arguments` and returns its standard output; throws with its standard error on failure.
    static func run(script: String, arguments: [String]) throws -> Data {
        let python = interpreter
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.path)
        process.arguments = python.arguments + [supportDirectory + "/" + script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        group.enter()
        DispatchQueue.global().async {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(script) exited with \(process.terminationStatus): "
                    + String(decoding: errorData, as: UTF8.self))
        }
        return data
    }
}
