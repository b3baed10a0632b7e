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

    /// The MD5 of `length` bytes of `path` from `offset`, read in blocks.
    static func digest(path: String, offset: Int64, length: Int64, blockSize: Int = 1 << 20) throws(S3Error)
        -> [UInt8]
    {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        defer { EVP_MD_CTX_free(context) }
        precondition(EVP_DigestInit_ex(context, EVP_md5(), nil) == 1, "EVP_DigestInit_ex(md5) failed")
        try FileSection.read(path: path, offset: offset, length: length, blockSize: blockSize) { block in
            _ = EVP_DigestUpdate(context, block.baseAddress, block.count)
        }
        var out = [UInt8](repeating: 0, count: 16)
        var size: UInt32 = 0
        out.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(context, $0.baseAddress, &size) }
        return out
    }
}
