import CCrypto

/// MD5 over OpenSSL, for the headers S3 still asks for (`Content-MD5`, SSE-C key MD5). Not for security.
package enum MD5 {
    /// The 16-byte MD5 of `bytes`.
    package static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                _ = EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_md5(), nil)
            }
        }
        return out
    }
}
