namespace Jamba.Actors.Sequences;

/// <summary>
/// The number of sessions one node may hold at once. Sequence actors take a place before they
/// reserve state slots and give it back when they end, so a client cannot grow the node's session
/// state without bound.
/// </summary>
public sealed class SessionQuota(int capacity)
{
    private int _used;

    public int Capacity { get; } = capacity;

    public int Used => Volatile.Read(ref _used);

    public bool TryAcquire()
    {
        while (true)
        {
            var used = Volatile.Read(ref _used);
            if (used >= Capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _used, used + 1, used) == used)
            {
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _used);
}
