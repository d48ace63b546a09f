"""Word lists the normaliser and the feature extractor use. Data only, no logic.

`OBFUSCATION_TARGETS` are the words the normaliser tries when a token is masked, leet-spelled,
spaced out or stretched ("f*ck", "sh1t", "f u c k", "fuuuck"): it never scores anything, the
model does. Order matters: the first word that fits a masked token wins.
"""

from __future__ import annotations

OBFUSCATION_TARGETS: tuple[str, ...] = (
    "fuck", "fucking", "fucked", "fucker", "fuckers", "fuckin", "fucks", "fuckwit", "fuckface",
    "motherfucker", "motherfucking", "shit", "shitty", "shite", "bullshit", "shits", "shithead",
    "ass", "asshole", "arse", "arsehole", "asses", "jackass", "dumbass", "bitch", "bitches",
    "bitching", "bastard", "bastards", "cunt", "cunts", "dick", "dickhead", "prick", "pricks",
    "piss", "pissed", "wanker", "wankers", "twat", "twats", "bollocks", "crap", "damn", "goddamn",
    "bloody", "slut", "whore", "idiot", "idiots", "moron", "morons", "stupid", "retard",
    "retarded", "retards", "faggot", "fag", "nigger", "nigga", "spastic", "spaz", "tosser",
    "scumbag", "scum", "kill", "killed", "killing", "die", "you", "your", "stfu", "gtfo",
    "shitting", "cripple", "cripples",
    # identity slurs, so that "tr*nny", "p@ki" or "w0gs" reach the model as the word they hide;
    # after the words above, so a masked token one of those fits still means that word
    "tranny", "trannies", "wetback", "wetbacks", "kike", "kikes", "paki", "pakis", "chink",
    "chinks", "spic", "spics", "coon", "coons", "raghead", "ragheads", "towelhead",
    "towelheads", "dyke", "dykes", "poof", "poofs", "poofter", "gyppo", "gyppos", "gypo",
    "pikey", "pikeys", "wog", "wogs", "mong", "mongs", "spacker", "muzzie", "muzzies",
    "faggots", "fags", "niggers",
)  # fmt: skip

# Shortened spellings that stand for a target word (whole tokens only).
ABBREVIATIONS: dict[str, str] = {
    "fkn": "fucking", "fkin": "fucking", "fking": "fucking", "fcking": "fucking",
    "fckn": "fucking", "fckin": "fucking", "fukin": "fucking", "fuking": "fucking",
    "fukn": "fucking", "effing": "fucking", "frickin": "fricking", "fuckn": "fucking",
    "fck": "fuck", "fuk": "fuck", "fuq": "fuck", "phuck": "fuck", "fcuk": "fuck", "fukc": "fuck",
    "shyt": "shit", "sh1te": "shite", "biatch": "bitch", "bytch": "bitch",
    "azz": "ass", "a55": "ass", "btch": "bitch", "mofo": "motherfucker",
    "muthafucka": "motherfucker", "wtf": "what the fuck", "stfu": "shut the fuck up",
    "gtfo": "get the fuck out",
}  # fmt: skip

# Leetspeak: one character for one letter, tried only inside a token that then spells a target.
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "£": "l", "+": "t", "¡": "i",
}  # fmt: skip

# Characters that hide a letter ("f*ck", "s#it", "f..k", "f_ck").
MASKS = "*#%_.?-"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Targets that start compounds ("sh1tshow", "a$$clown", "f**kwits"): the normaliser looks for
# a disguised one of these at the start of a token that ends in plain letters.
COMPOUND_HEADS: frozenset[str] = _words(
    "shit fuck ass arse dick piss bitch crap twat cunt bastard prick"
)

# Innocent words and phrases that contain a rude word or sound like one: the Scunthorpe problem
# (place names and surnames, birds, dog breeding, hardware, food). The normaliser rewrites each
# to the neutral words beside it before features are computed, so none of them can flag a message
# or be shown as evidence. Keys are normalised text (lower case, one space between words); a
# space in a key also matches a hyphen or nothing ("finger prick", "finger-prick",
# "fingerprick"). Only senses that are innocent in any context are listed: "Dick" and "hooker"
# on their own, or "bitch" outside dog breeding, are left to the model.
_KNOBS = (
    "door gear cupboard drawer oven hob cooker control volume tuning radiator shower wardrobe "
    "cabinet dresser dial thermostat temperature tap"
)
_TITS = ("blue", "great", "coal", "marsh", "willow", "crested", "bearded", "long tailed")
INNOCENT_PHRASES: dict[str, str] = {
    "finger prick": "finger test", "finger pricks": "finger tests",
    "pin prick": "pin point", "pin pricks": "pin points",
    "knob of butter": "pat of butter", "knobs of butter": "pats of butter",
    **{f"{thing} knob": f"{thing} handle" for thing in _KNOBS.split()},
    **{f"{thing} knobs": f"{thing} handles" for thing in _KNOBS.split()},
    "stop cock": "water valve", "stop cocks": "water valves", "ball cock": "float valve",
    "spotted dick": "sponge pudding", "cock a leekie": "leek soup",
    "faggots in gravy": "meatballs in gravy", "faggots in onion gravy": "meatballs in gravy",
    "faggots and peas": "meatballs and peas", "faggots and mash": "meatballs and mash",
    "pork faggots": "pork meatballs", "cocktail": "mixed drink", "cocktails": "mixed drinks",
    "cocker spaniel": "spaniel", "cocker spaniels": "spaniels", "cockerel": "rooster",
    "cockerels": "roosters", "cockatoo": "parrot", "cockatoos": "parrots", "cockatiel": "parrot",
    "cockatiels": "parrots", "peacock": "peafowl", "peacocks": "peafowl", "woodcock": "wader",
    "cockroach": "roach", "cockroaches": "roaches", "cockpit": "flight deck",
    "shuttle cock": "shuttle", "shuttle cocks": "shuttles", "weather cock": "weathervane",
    **{f"{kind} tit": f"{kind} songbird" for kind in _TITS},
    **{f"{kind} tits": f"{kind} songbirds" for kind in _TITS},
    "titbit": "morsel", "titbits": "morsels",
    "brood bitch": "brood dam", "brood bitches": "brood dams", "breeding bitch": "breeding dam",
    "breeding bitches": "breeding dams", "in whelp bitch": "in whelp dam",
    "maiden bitch": "maiden dam", "pussy willow": "willow catkin", "pussycat": "cat",
    "therapist": "counsellor", "therapists": "counsellors",
    "scunthorpe": "placename", "penistone": "placename", "cockermouth": "placename",
    "cockfosters": "placename", "clitheroe": "placename", "shitterton": "placename",
    "middlesex": "placename", "sussex": "placename", "essex": "placename", "wessex": "placename",
    "arsenal": "football club",
    "cockburn": "surname", "hancock": "surname", "hitchcock": "surname", "babcock": "surname",
    "alcock": "surname", "glasscock": "surname", "cockcroft": "surname", "dickens": "surname",
    "dickinson": "surname", "dickson": "surname",
}  # fmt: skip
# Substrings of which every key above contains one (a cheap check before the pattern runs).
INNOCENT_TRIGGERS: tuple[str, ...] = (
    "prick",
    "knob",
    "cock",
    "dick",
    "faggot",
    "tit",
    "bitch",
    "puss",
    "rapist",
    "thorpe",
    "nistone",
    "clit",
    "shit",
    "sex",
    "arse",
)

# Who a message is aimed at (after normalisation: lower case, apostrophes inside words removed).
SECOND_PERSON: frozenset[str] = _words(
    "you your youre yours yourself yourselves youve youll youd u ur ya yall ye thee thou"
)
FIRST_PERSON: frozenset[str] = _words(
    "i im ive ill id me my mine myself we were weve our ours ourselves us"
)
COMPANY: frozenset[str] = _words(
    "company firm business staff team agent agents support service helpdesk employees "
    "manager managers management department people lot outfit organisation organization "
    "operation shop store bank provider"
)
THIRD_PERSON: frozenset[str] = _words(
    "he she him her his hers they them their someone somebody colleague colleagues customer "
    "customers neighbour neighbor boss husband wife partner friend son daughter"
)
REPORTING: frozenset[str] = _words(
    "said says called told wrote write quote quoted quoting reported report posted "
    "messaged shouted screamed sent"
)

# Function words per language (accents stripped, as the normaliser leaves them); the language
# guesser counts them. Kept to words that are rare in the other languages listed.
# English words the language guess counts as English besides STOPWORDS["en"]: contractions as
# the normaliser leaves them (apostrophes dropped) and a few more of the commonest words.
ENGLISH_EXTRA: frozenset[str] = _words(
    "youre youve youll youd ive id ill isnt arent wasnt werent doesnt didnt hasnt havent hadnt "
    "couldnt wouldnt shouldnt thats theres whats hes shes theyre weve yourself yours such "
    "very much been being said told asked ordered paid refund service"
)

STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and you that this is are was for with have has had not but what your can "
        "please would could should will there they from just been it my me we our to of in "
        "on an be do does did if or so at as by yes hi hello thanks thank why how when "
        "where which who im its dont cant wont get got still again am were about because "
        "need want know here all any some one out up now then than only also very really "
        "after before since until over into order help account issue"
    ),
    "fr": _words(
        "le la les des est une et je vous nous pas que qui pour avec dans sur mon ma mes "
        "votre vos ce cette sont merci bonjour il elle ils au aux du ne suis avez ai tres "
        "mais aussi depuis toujours quand parce"
    ),
    "de": _words(
        "der die das und ist nicht ich sie wir ein eine mit fur auf den dem zu ihr ihre "
        "bitte danke hallo mein meine noch schon seit wenn aber auch kann konnen haben habe "
        "wurde bei vom zum zur sehr"
    ),
    "es": _words(
        "el la los las es y que de en un una por para con no mi mis su sus esta estoy "
        "gracias hola pero como cuando desde muy hace tengo usted ustedes ya lo le se del "
        "porque todavia"
    ),
    "it": _words(
        "il lo la gli le di che e non un una per con sono mi mio mia ho ha grazie "
        "buongiorno ciao ma come quando anche ancora del della questo questa vostro vostra "
        "perche sempre gia"
    ),
    "pt": _words(
        "o a os as e que de em um uma nao para com meu minha voce voces obrigado obrigada "
        "ola mas como quando ainda ja esta estou tenho do da dos das no na isso porque "
        "muito sempre"
    ),
    "nl": _words(
        "de het een en is niet ik je jij u wij we van op te dat die met voor zijn mijn "
        "bedankt hallo maar ook nog al wel kan heb hebben wordt geen graag alstublieft"
    ),
    "sv": _words(
        "och det att jag inte som en ett pa ar har med for till av om vi ni min mitt tack "
        "hej men kan ocksa fortfarande varfor"
    ),
    "da": _words(
        "og det at jeg ikke som en et pa er har med for til af om vi min mit tak hej men "
        "kan ogsa stadig hvorfor"
    ),
    "pl": _words(
        "i w na nie jest to sie ze z do jak mam moj moje prosze dziekuje dzien dobry ale "
        "juz jeszcze czy dla od po tak"
    ),
    "tr": _words(
        "ve bir bu da de icin ile ben siz biz ne var yok mi mu cok ama gibi daha tesekkurler "
        "merhaba hala neden"
    ),
    "id": _words(
        "dan yang di ke dari ini itu saya anda kami tidak ada untuk dengan terima kasih "
        "tolong sudah belum masih bisa"
    ),
    "ro": _words(
        "si este nu sa cu de la pe in un o ca mai am ai multumesc buna dar inca pentru care sunt"
    ),
}


def _phrases(text: str) -> tuple[str, ...]:
    """Comma-separated phrases of one to three words."""
    return tuple(" ".join(p.split()) for p in text.split(",") if p.strip())


# Cue phrases per policy theme: each occurrence becomes a feature of its theme (and, near "you",
# "I", the company or a third person, a targeted variant), so what the model learns about one
# swear word or threat idiom carries over to the others. Written from the conduct policies and
# general usage, not from any corpus split. Normalised spelling (lower case, no apostrophes).
CUES: dict[str, tuple[str, ...]] = {
    "profane": _phrases(
        "fuck, fucking, fucked, fucker, fuckers, fuckin, fucks, fuckwit, fuckface, motherfucker,"
        "motherfucking, shit, shitty, shite, shits, bullshit, shithead, shitshow, shitbag, ass,"
        "arse, asshole, arsehole, asses, jackass, dumbass, bitch, bitches, bitching, bastard,"
        "bastards, cunt, cunts, dick, dickhead, dicks, prick, pricks, piss, pissed, pissing,"
        "wanker, wank, wankers, twat, twats, bollocks, bugger, crap, crappy, damn, damned,"
        "goddamn, goddammit, dammit, bloody, hell, ffs, wtf, omfg, stfu, gtfo, feck, frigging,"
        "fricking, effing, sod, sod off, bellend, knob, knobhead, tosser, slag, slut, whore, cock,"
        "pussy, douche, douchebag, piss off, screw you, what the fuck, the fuck up, arsed,"
        "bloody hell, for fucks sake, sodding, bleeding, christ, jesus christ, god damn"
    ),
    "insult": _phrases(
        "thick, dense, brainless, gutless, amateurs, amateur, cowboy outfit, bunch of "
        "clowns, circus, joke of, a joke, laughing stock, sorry excuse, useless lot, "
        "useless bunch, waste of, half a brain, brain cell, illiterate, uneducated, "
        "dumbest, stupidest, ugly, hideous, disgusting, cow, witch, hag, old bag, little "
        "man, robot, robots, trained monkey, chimp, neanderthal, cockroach, cockroaches, "
        "gutter, criminals, gangsters, scammers, con artists, fraudsters, rip off "
        "merchants, bloodsuckers, greedy, incompetents, dimwits, halfwits, nincompoop, "
        "ignoramus, dipstick, numbskull, bonehead, blockhead, clot, berk, git, wazzock, "
        "numpties, eejit, shut up, get lost, drop dead, go to hell, rot in hell, get a "
        "brain, grow a brain, get a life, you suck, you lot, you clowns, you idiots,"
        "idiot, idiots, idiotic, moron, morons, moronic, stupid, dumb, dimwit, imbecile,"
        "imbeciles, cretin, cretins, numpty, muppet, muppets, clown, clowns, buffoon, fool, fools,"
        "incompetent, incompetence, useless, hopeless, pathetic, worthless, clueless, brainless,"
        "brain dead, halfwit, scum, scumbag, scumbags, subhuman, vermin, parasite, parasites,"
        "leeches, liar, liars, crook, crooks, cowboys, thieves, thieving, lazy, jobsworth, monkey,"
        "monkeys, donkey, pig, pigs, rat, rats, snake, waste of space, waste of oxygen, loser,"
        "losers, disgrace, disgraceful, embarrassment, ignorant, simpleton, nitwit, twit, plonker,"
        "pillock, prat, wally, dolt, dunce, airhead, vile, filth, gormless, spineless, shameless,"
        "sad little, piece of work, piece of shit, pos, deadbeat, degenerate, brain cells,"
        "braindead, thick as, who hired you, do your job, you even read, learn to read,"
        "are you stupid, are you deaf, are you thick, you people, pack of, bunch of, excuse for,"
        "so called, genius, pond life, lowlife, muppetry, shower of"
    ),
    "threat": _phrases(
        "break your, your legs, your neck, your face, smash your, punch you, kill you, hurt"
        " you, end you, ruin your life, make you pay, you will regret, youll regret, regret"
        " this, one eye open, over your shoulder, last warning, final warning, youve been "
        "warned, waiting outside, outside your, your office, see you outside, come find, "
        "find your, know your name, your photo, your kids school, baseball bat, machete, "
        "axe, shotgun, rifle, pistol, firearm, petrol, body bag, six feet under, coffin, "
        "funeral, dead meat, youre dead, accidents happen, be a shame, nice family, your "
        "daughter, your son, your partner, where you work, when you leave, leave work, your"
        " shift, your tyres, through your window, my boys, step outside, meet me outside, "
        "get what you, watch yourself, i know people, disappear, nobody will find, burn it,"
        " set fire, blow it up, shoot you, stab you, beat you, bash, bash your, knock your,"
        " teeth, skull, slit, throat,"
        "kill, killing, murder, hurt, harm, stab, shoot, beat, batter, smash, punch, slap,"
        "strangle, burn, torch, bomb, blow up, knife, gun, bat, hammer, crowbar, acid, weapon,"
        "bullet, blood, bleed, die, dead, grave, hospital, watch your back, where you live,"
        "your address, your family, your kids, your children, your wife, your husband, your mum,"
        "your mother, your house, your home, your car, find you, know where, come down there,"
        "come round, you a visit, visit, outside, waiting for you, after work, on your way,"
        "way home, see you soon, accident, shame if, something happens, something happened,"
        "regret, you will pay, youll pay, be careful, wouldnt want, track you down,"
        "hunt you down, find out where, follow you, car park, facebook, instagram, tiktok,"
        "linkedin, electoral roll, last thing, coming for you, sort you out, teach you,"
        "deal with you, in person, turn up, show up, burn down, mates, lads, im coming"
    ),
    "identity": _phrases(
        "women like you, woman like you, girls like you, your religion, your god, allah, "
        "mosque, terrorist, terrorists, smelly, slanty, gook, jap, kraut, polack, gypsy, "
        "gypsies, pikeys, shemale, ladyboy, poof, poofter, queers, batty boy, sissy, "
        "psycho, schizo, spacker, window licker, vegetable, cripples, handicapped, midget, "
        "too old, the month, hormonal, to a man, a real man, speak english, learn english, "
        "proper english, your country, where youre from, back home, illegals, third world, "
        "curry, monkeys, ape, apes,"
        "nigger, niggers, nigga, faggot, faggots, fag, fags, dyke, tranny, paki, pakis, chink,"
        "spic, kike, wetback, pikey, gypo, raghead, towelhead, coon, retard, retards, retarded,"
        "spastic, spaz, mong, cripple, race, racial, black, white, asian, indian, chinese,"
        "african, muslim, muslims, islam, jew, jews, jewish, christian, hindu, sikh, gay, gays,"
        "lesbian, trans, transgender, homo, queer, woman, women, girl, girls, female, females,"
        "foreign, foreigner, foreigners, immigrant, immigrants, accent, english, country,"
        "go back, your kind, your lot, people like you, you people, deaf, blind, disabled,"
        "wheelchair, autistic, third world, in a dress, religion, skin, colour, color"
    ),
    "sexual": _phrases(
        "send pics, send me pics, meet up, sexy voice, naughty, spank, bend over, blow job,"
        " massage, undress, lingerie, panties, cleavage, booty, thighs, turn me on, turned "
        "on, fantasy, dirty girl, slutty, flirt, cute, beautiful, are you single, sleep "
        "with, marry me, your lips,"
        "sexy, babe, baby, darling, sweetheart, hot, legs, body, bed, naked, nude, nudes, pics,"
        "photos of you, boobs, tits, bra, knickers, kiss, date, dinner with me,"
        "single, gorgeous, pretty, your voice, sit on, on your knees, lick, suck, horny, fit,"
        "you wearing"
    ),
    "demand": _phrases(
        "within the hour, within an hour, in the next, next hour, by midnight, by tonight, "
        "first thing, 6am, 7am, 2am, every morning, every evening, twice a day, hourly "
        "updates, update me every, call me every, every 30 minutes, every half hour, at all"
        " times, round the clock, personal email, personal phone, home phone, private "
        "number, where she lives, where he lives, their address, agents name, her surname, "
        "his surname, written apology, letter of apology, public apology, on your website, "
        "ceo to call, ceo personally, head of, founder, chairman, board members, fire him, "
        "fire her, sack him, sack her, lose her job, lose his job, their jobs, only speak, "
        "the same agent, free for life, for life, i am owed, you owe me, or i will, until "
        "you,"
        "immediately, right now, right away, within, minutes, every hour, every day, hourly,"
        "every minute, every 10 minutes, 24 7, 3am, 4am, 5am, midnight, tonight, overnight,"
        "personal number, personal mobile, home address, mobile number, direct line, ceo,"
        "chief executive, director, board, call me back, ring me, phone me, apology, apologise,"
        "apologize, in person, sacked, sack, fire, fired, suspended, suspend, disciplined,"
        "surname, full name, name of, every one, all of, no excuses, no exceptions, or else,"
        "i demand, i expect, i require, i insist, i want, must, by return, today, on a sunday,"
        "weekend, home, stay online, stay on, dont hang up, face to face, in writing, answer all,"
        "every question, numbered, same reply, the second, seconds"
    ),
    "legit": _phrases(
        "bad review, negative review, leave a review, social media, consumer, bbc, press, "
        "journalist, newspaper, my mp, councillor, final response, deadlock letter, eight "
        "weeks, 8 weeks, arbitration, county court, letter before action, legal action, "
        "sue, suing, in court, credit card company, dispute, close my account, take my "
        "business, never use, switching, competitor, unacceptable, disgusted, furious, "
        "livid, fuming, appalled, outraged, frustrated, third time, fourth time, still "
        "waiting, ignored, not good enough, poor service, complain,"
        "ombudsman, solicitor, solicitors, lawyer, lawyers, legal, court, small claims,"
        "regulator, ofcom, ofgem, fca, trading standards, citizens advice, complaint, complaints,"
        "formal complaint, review, reviews, trustpilot, one star, 1 star, stars, cancel,"
        "cancelling, canceling, cancellation, refund, chargeback, escalate, escalation, gdpr,"
        "subject access, ico, consumer rights, section 75, ombudsman service, bbb, watchdog,"
        "switch provider, leave, leaving, take my business, report you, reporting this"
    ),
    "tech": _phrases(
        "kill process, kill command, kill switch, dead on arrival, dead pixel, dead zone, "
        "deadlock, died on me, hotfix, hot fix, fire up, fired up, trigger, execute, "
        "execution, exploit, ddos, hacked, nuke, nuked, smashed screen, cracked screen, "
        "broken, fuse, termination, child process, zombie process, daemon, hang up, hung "
        "up, stopcock, ballcock, screw, screws, drill, shoot an email, shoot over, head "
        "shot, killer feature, killing me, dying to, to die for,"
        "process, server, job, task, thread, script, crash, crashed, crashes, died, kill the,"
        "killed the, shoot me, screenshot, bug, error, log, logs, port, terminate, execute,"
        "abort, hang, hung, hangs, freeze, frozen, battery, boot, reboot, app, update, install,"
        "printer, laptop, browser, page, button, login, password, deadline, dead link,"
        "dead battery, fire wall, firewall, hit, hits, hitting, attack, bomb out, blew up"
    ),
    "self": _phrases(
        "im such, im an idiot, my fault, my mistake, my bad, silly me, stupid me, i feel "
        "stupid, like an idiot, idiot me, im useless, im hopeless, stupid of me, my own "
        "fault, i messed up, i screwed up, i fucked up, i cocked up"
    ),
    "quote": _phrases(
        "he called me, she called me, they called me, called her, called him, was called, "
        "abused me, abused by, swore at me, sworn at, threatened me, threatened by, "
        "threatening messages, someone posted, posted about, screenshot of, this message, "
        "their message, the message said, it said, was told, i was told, report a user, "
        "report this user, block this, blocked him,"
        "said, says, called me, told me, wrote, quote, quoted, quoting, reported, posted,"
        "messaged me, shouted, screamed, sent me, someone, a customer, another customer,"
        "my colleague, my neighbour, my son, my daughter, my husband, my wife, he said, she said,"
        "they said, abusive, harassment, harassed, threatening, threatened, received"
    ),
}

# Words the normaliser also accepts when a token spells one wholly in leetspeak ("0uts1d3",
# "l0s3r", "w@tch"), but never guesses behind masks (too many common words would fit a mask):
# every word of four letters or more in the cue phrases above.
LEET_WORDS: frozenset[str] = frozenset(
    word
    for phrases in CUES.values()
    for phrase in phrases
    for word in phrase.split()
    if len(word) >= 4 and word.isalpha()
)
