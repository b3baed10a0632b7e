import Foundation
import StorageCache
import Testing

@Suite struct RunnerIOTests {
    @Test func workflowCommandsEscapePercentAndLineBreaks() {
        #expect(WorkflowCommand.warning("50% done\r\nnext") == "::warning::50%25 done%0D%0Anext")
        #expect(WorkflowCommand.error("a:b,c", title: "t:1,2") == "::error title=t%3A1%2C2::a:b,c")
        #expect(WorkflowCommand.group("Restore 'k'") == "::group::Restore 'k'")
        #expect(WorkflowCommand.addMask("s%e\ncret") == "::add-mask::s%25e%0Acret")
    }

    @Test func fileEntriesAreMultiLineSafeWithARandomDelimiter() throws {
        let entry = RunnerIO.fileEntry(name: "cache-matched-key", value: "line one\nline two")
        let lines = entry.split(separator: "\n", omittingEmptySubsequences: false)
        let header = try #require(lines.first)
        #expect(header.hasPrefix("cache-matched-key<<ghadelimiter_"))
        let delimiter = header.dropFirst("cache-matched-key<<".count)
        #expect(lines[1] == "line one" && lines[2] == "line two" && lines[3] == delimiter && lines[4] == "")
        #expect(RunnerIO.fileEntry(name: "x", value: "v") != RunnerIO.fileEntry(name: "x", value: "v"))
    }

    @Test func secretsAreMaskedOnlyOnARunnerAndRedactedEverywhere() throws {
        let environment = [
            "AWS_SECRET_ACCESS_KEY": "topsecret/key", "AWS_SESSION_TOKEN": "sessiontoken",
            "ACTIONS_RUNTIME_TOKEN": "runtimetoken", "AWS_ACCESS_KEY_ID": "AKIAPUBLIC",
        ]
        let outside = RunnerIO(environment: environment)
        #expect(outside.maskCommands.isEmpty)
        var actions = environment
        actions["GITHUB_ACTIONS"] = "true"
        let runner = RunnerIO(environment: actions)
        #expect(
            Set(runner.maskCommands)
                == ["::add-mask::topsecret/key", "::add-mask::sessiontoken", "::add-mask::runtimetoken"])
        #expect(
            runner.secrets.redact("key=topsecret/key token=sessiontoken id=AKIAPUBLIC")
                == "key=*** token=*** id=AKIAPUBLIC")
        actions["STORAGE_CACHE_SECRETS_MASKED"] = "true"
        #expect(RunnerIO(environment: actions).maskCommands.isEmpty)
    }

    @Test func outputsAndStateGoToTheRunnerFilesOnlyOnARunner() throws {
        let directory = NSTemporaryDirectory() + "runner-io-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = ["GITHUB_OUTPUT": directory + "/out", "GITHUB_STATE": directory + "/state"]
        try RunnerIO(environment: files).setOutputs([("cache-hit", "true")])
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"))
        let runner = RunnerIO(
            environment: files.merging(["GITHUB_ACTIONS": "true", "AWS_SESSION_TOKEN": "tok3n!"]) { $1 })
        try runner.setOutputs([("cache-hit", "true"), ("cache-source", "tok3n!")])
        try runner.saveState([("key", "k")])
        let out = try String(contentsOfFile: directory + "/out", encoding: .utf8)
        #expect(out.contains("cache-hit<<ghadelimiter_") && out.contains("\ntrue\n"))
        #expect(!out.contains("tok3n!") && out.contains("\n***\n"))
        #expect(try String(contentsOfFile: directory + "/state", encoding: .utf8).hasPrefix("key<<"))
    }

    @Test func restoreOutputsAndSummaryNameTheSource() {
        let report = CacheRestoreReport(
            outcome: .hit, source: .s3, key: "k", matchedKey: "s3://b/p/github/o-r/", exactMatch: true,
            destination: "/d", contentBytes: 42, files: 3, warnings: ["a | b"])
        let outputs = Dictionary(uniqueKeysWithValues: StepReporter.outputs(for: report))
        #expect(outputs["cache-hit"] == "true")
        #expect(outputs["cache-source"] == "s3")
        #expect(outputs["restored-files"] == "3")
        #expect(outputs["restored-bytes"] == "42")
        let summary = StepReporter.summary(for: report)
        #expect(summary.contains("| Source | s3 |"))
        #expect(summary.contains("a \\| b"))
        var lookup = report
        lookup.lookupOnly = true
        #expect(Dictionary(uniqueKeysWithValues: StepReporter.outputs(for: lookup))["restored-files"] == "0")
        let miss = CacheRestoreReport(outcome: .miss, source: .none, key: "k", destination: "/d")
        #expect(Dictionary(uniqueKeysWithValues: StepReporter.outputs(for: miss))["cache-hit"] == "false")
    }
}
