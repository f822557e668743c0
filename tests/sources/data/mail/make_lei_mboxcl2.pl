use strict; use warnings;
use PublicInbox::Eml; use PublicInbox::LeiToMail;
my @msgs = (
"From: Ada Lovelace <ada\@example.org>\nTo: Charles Babbage <charles\@example.org>\nSubject: Film night\nDate: Mon, 6 Jan 2025 09:15:00 +0000\nMessage-ID: <film\@example.org>\n\nMy favourite Bond film, for Friday:\n\nFrom Russia with Love (1963), then dinner at 8.\n\nAda\n",
"From: Charles Babbage <charles\@example.org>\nTo: Ada Lovelace <ada\@example.org>\nSubject: Re: Film night\nDate: Mon, 6 Jan 2025 10:02:00 +0000\nMessage-ID: <reply\@example.org>\nIn-Reply-To: <film\@example.org>\n\nAgreed. I pasted the old note below:\n\nFrom charles\@example.org Mon Jan  6 09:40:00 2025\nthe engine room is booked until 7.\n\nCharles\n",
"From: Ada Lovelace <ada\@example.org>\nTo: Charles Babbage <charles\@example.org>\nSubject: Tickets\nDate: Tue, 7 Jan 2025 08:00:00 +0000\nMessage-ID: <tickets\@example.org>\n\nTickets bought: row 4, seats 11 and 12.\n",
"From: Charles Babbage <charles\@example.org>\nTo: Ada Lovelace <ada\@example.org>\nSubject: Fwd: the booking\nDate: Tue, 7 Jan 2025 09:30:00 +0000\nMessage-ID: <fwd\@example.org>\n\nThe booking, as the mail server kept it:\n\nFrom bookings\@example.org Tue Jan  7 09:00:00 2025\nSubject: Engine room\n\nBooked until 7.\n",
);
binmode STDOUT;
for my $m (@msgs) {
  my $eml = PublicInbox::Eml->new(\$m);
  my $buf = PublicInbox::LeiToMail::eml2mboxcl2($eml, {});
  print $$buf;
}
