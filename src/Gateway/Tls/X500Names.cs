using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ZkGateway.Gateway.Tls;

/// <summary>
/// A certificate subject as Java's <c>X500Principal.getName()</c> prints it (RFC 2253), which is the id
/// ZooKeeper's X509AuthenticationProvider gives a client: the RDNs from the last in the DER sequence to
/// the first (most specific first, <c>CN=client,OU=test,O=zkgw</c>), joined by <c>,</c> without spaces,
/// the AVAs of a multi-valued RDN joined by <c>+</c> in DER order. .NET's
/// <see cref="X500DistinguishedName.Name"/> differs (<c>", "</c> separators, other keywords such as
/// <c>E=</c> and <c>S=</c>, quoting instead of escaping), hence this.
/// </summary>
/// <remarks>
/// The rules of sun.security.x509.AVA.toRFC2253String:
/// <list type="bullet">
/// <item>Only RFC 2253's keywords are used: CN, C, L, ST, O, OU, STREET, DC, UID. Any other attribute
/// (emailAddress, serialNumber, ...) is its dotted OID.</item>
/// <item>A value that is a directory string (PrintableString, T61String, IA5String, GeneralString,
/// BMPString, UTF8String) under a keyword is printed as text, with <c>, = + &lt; &gt; # ; " \</c>
/// escaped by a backslash, NUL as <c>\00</c>, and leading and trailing spaces (and CR) escaped.</item>
/// <item>An OID-named attribute, or a value of another type, is <c>#</c> and the lower-case hex of its
/// whole DER encoding (tag, length, contents).</item>
/// </list>
/// </remarks>
public static class X500Names
{
    private static readonly Dictionary<string, string> Keywords = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN",
        ["2.5.4.6"] = "C",
        ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST",
        ["2.5.4.10"] = "O",
        ["2.5.4.11"] = "OU",
        ["2.5.4.9"] = "STREET",
        ["0.9.2342.19200300.100.1.25"] = "DC",
        ["0.9.2342.19200300.100.1.1"] = "UID",
    };

    private const string Escapees = ",=+<>#;\"\\";

    /// <summary>The RFC 2253 form of <paramref name="name"/>, as <c>X500Principal.getName()</c>.</summary>
    /// <exception cref="AsnContentException">When the name is not a DER RDNSequence.</exception>
    public static string ToRfc2253(X500DistinguishedName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var rdns = new List<string>();
        var sequence = new AsnReader(name.RawData, AsnEncodingRules.DER).ReadSequence();
        while (sequence.HasData)
        {
            var set = sequence.ReadSetOf(skipSortOrderValidation: true);
            var avas = new List<string>();
            while (set.HasData)
            {
                var ava = set.ReadSequence();
                string oid = ava.ReadObjectIdentifier();
                var valueTag = ava.PeekTag();
                var encoded = ava.ReadEncodedValue();
                avas.Add(Ava(oid, valueTag, encoded.Span));
            }
            rdns.Add(string.Join('+', avas));
        }
        rdns.Reverse();
        return string.Join(',', rdns);
    }

    private static string Ava(string oid, Asn1Tag tag, ReadOnlySpan<byte> encoded)
    {
        var sb = new StringBuilder();
        bool keyword = Keywords.TryGetValue(oid, out string? name);
        sb.Append(keyword ? name : oid).Append('=');
        string? text = keyword ? DirectoryString(tag, encoded) : null;
        if (text is null)
        {
            sb.Append('#').Append(Convert.ToHexStringLower(encoded));
            return sb.ToString();
        }
        var escaped = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (Escapees.Contains(c, StringComparison.Ordinal))
            {
                escaped.Append('\\').Append(c);
            }
            else if (c == '\0')
            {
                escaped.Append("\\00");
            }
            else
            {
                escaped.Append(c);
            }
        }
        // Leading and trailing blanks (space, CR) are escaped one by one.
        string v = escaped.ToString();
        int lead = 0;
        while (lead < v.Length && v[lead] is ' ' or '\r')
        {
            lead++;
        }
        int trail = v.Length - 1;
        while (trail >= 0 && v[trail] is ' ' or '\r')
        {
            trail--;
        }
        for (int i = 0; i < v.Length; i++)
        {
            if (i < lead || i > trail)
            {
                sb.Append('\\');
            }
            sb.Append(v[i]);
        }
        return sb.ToString();
    }

    /// <summary>The text of a directory-string value (DerValue.isDerString, non-canonical), or null for any other type.</summary>
    private static string? DirectoryString(Asn1Tag tag, ReadOnlySpan<byte> encoded)
    {
        if (tag.TagClass != TagClass.Universal || tag.IsConstructed)
        {
            return null;
        }
        var reader = new AsnReader(encoded.ToArray(), AsnEncodingRules.BER);
        switch ((UniversalTagNumber)tag.TagValue)
        {
            case UniversalTagNumber.PrintableString:
            case UniversalTagNumber.IA5String:
            case UniversalTagNumber.UTF8String:
            case UniversalTagNumber.BMPString:
                return reader.ReadCharacterString((UniversalTagNumber)tag.TagValue);
            case UniversalTagNumber.T61String:
            case UniversalTagNumber.GeneralString:
                // Java decodes both as ISO-8859-1.
                return Encoding.Latin1.GetString(reader.ReadOctetString(new Asn1Tag((UniversalTagNumber)tag.TagValue)));
            default:
                return null;
        }
    }
}
