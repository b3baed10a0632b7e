/// A first-in, first-out queue of transfers waiting for a slot (amortised O(1) both ends).
struct TransferQueue {
    /// Popped slots are `nil`: a transfer that left the queue must not stay referenced here (with its request
    /// body: an 8 MiB multipart part, say) until the next compaction.
    private var items: [TransferContext?] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func append(_ transfer: TransferContext) { items.append(transfer) }

    mutating func popFirst() -> TransferContext? {
        guard head < items.count else { return nil }
        let first = items[head]
        items[head] = nil
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return first
    }
}
